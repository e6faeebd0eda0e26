"""Online latency of the default (small) ReactDiff: one ``step`` = one 2 s window for 1 speaker x 10 reactions.

Run with ``pytest tests/benchmarks/test_bench_reactdiff.py --benchmark-only -s``. The real-time
factor (latency / 2 s) is printed and stored in the benchmark's ``extra_info``; never asserted.
"""

from __future__ import annotations

import torch

from react_bench.constants import FPS
from react_bench.models.reactdiff import ReactDiffSubmission
from react_bench.models.reactdiff.encoder import stream_dims
from react_bench.submissions import ONLINE_CHUNK_FRAMES, SpeakerBatch


def _chunk(config, start: int) -> SpeakerBatch:
    g = torch.Generator().manual_seed(start)
    streams = {n: torch.randn(1, ONLINE_CHUNK_FRAMES, d, generator=g) for n, d in stream_dims(config).items()}
    emotion = streams.pop("emotion", torch.zeros(1, ONLINE_CHUNK_FRAMES, 25))
    return SpeakerBatch(emotion=emotion, threedmm=torch.zeros(1, ONLINE_CHUNK_FRAMES, 58),
                        audio=torch.zeros(1, ONLINE_CHUNK_FRAMES * 640), indices=torch.arange(1),
                        features=streams, start_frame=start)


def test_online_window_latency(benchmark):
    sub = ReactDiffSubmission()  # default small config (untrained weights cost the same)
    chunks = [_chunk(sub.model_config, s) for s in range(0, 750, ONLINE_CHUNK_FRAMES)]
    state = {"i": len(chunks)}

    def one_window():
        if state["i"] == len(chunks):  # a new 30 s stream every 15 windows: latency over a whole clip
            sub.reset(1, num_samples=10, generator=torch.Generator().manual_seed(0))
            state["i"] = 0
        out = sub.step(chunks[state["i"]])
        state["i"] += 1
        return out

    out = benchmark.pedantic(one_window, rounds=30, iterations=1, warmup_rounds=1)
    assert out.emotion.shape[:3] == (1, 10, ONLINE_CHUNK_FRAMES)
    window_s = ONLINE_CHUNK_FRAMES / FPS
    rtf = benchmark.stats.stats.mean / window_s
    benchmark.extra_info["real_time_factor"] = rtf
    print(f"online ReactDiff: {benchmark.stats.stats.mean * 1000:.0f} ms per 2 s window (1 x 10), real-time factor {rtf:.3f}")
