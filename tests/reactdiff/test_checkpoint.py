import json
import subprocess
import sys

import torch

from react_bench.models.reactdiff import ReactDiffSubmission
from react_bench.models.reactdiff.config import SAMPLING_FIELDS

from reactdiff_helpers import TINY, make_batch as _batch


def test_checkpoint_round_trip_in_a_fresh_process(tmp_path):
    sub = ReactDiffSubmission(**TINY)
    torch.manual_seed(3)
    with torch.no_grad():  # non-trivial latent statistics and condition MLP, as after training
        sub.model.latent_mean.normal_()
        sub.model.latent_std.uniform_(0.5, 2.0)
        for p in sub.model.unet.cond_mlp.parameters():
            p.normal_()
    torch.save(sub.state_dict(), tmp_path / "ckpt.pt")
    batch = _batch(sub.model_config, 2, 30)
    torch.save(batch.__dict__, tmp_path / "batch.pt")
    expected = sub.generate(batch, num_samples=3, generator=torch.Generator().manual_seed(7))
    sampling = {k: v for k, v in TINY.items() if k in SAMPLING_FIELDS}
    code = f"""
import torch
from react_bench.models.reactdiff import ReactDiffSubmission
from react_bench.submissions import SpeakerBatch
# the network (sizes, weights) comes from the checkpoint alone; how it samples is this instance's
# (SAMPLING_FIELDS are not part of a fit), so the sampling options are given as the saving run had them
sub = ReactDiffSubmission(**{sampling!r})
sub.load_state_dict(torch.load({str(tmp_path / 'ckpt.pt')!r}))
batch = SpeakerBatch(**torch.load({str(tmp_path / 'batch.pt')!r}))
out = sub.generate(batch, num_samples=3, generator=torch.Generator().manual_seed(7))
torch.save({{"emotion": out.emotion, "threedmm": out.threedmm}}, {str(tmp_path / 'out.pt')!r})
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    got = torch.load(tmp_path / "out.pt")
    assert torch.equal(got["emotion"], expected.emotion) and torch.equal(got["threedmm"], expected.threedmm)
    state = torch.load(tmp_path / "ckpt.pt")
    assert any(k.startswith("unet.cond_mlp") for k in state["weights"])
    json.dumps(state["config"])  # the config is plain data
