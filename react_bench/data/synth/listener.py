"""The Oracle's sampler: reactions of the (unknown) listener person to a speaker clip, drawn from the
generator's own conversation process (:mod:`react_bench.data.synth.conversation`).

The speaker clip is one person (call it A) of a symmetric conversation; the reaction to produce is
its partner B's clip. What A's clip tells about B, and how the sampler uses it:

1. **The turn schedule** (pitfall 2 of issue 10): A's talk mask from its audio (frame RMS above
   ``talk_threshold``; backchannels are quieter) gives A's speech. A silence of at least
   ``turn_silence_s`` holds B's turn (internal pauses and gaps are shorter); B takes the floor
   after A's closing gap (drawn from its prior) and keeps it until A speaks again. Within its
   turn B's voicing (chunks, internal pauses, closing gap) is drawn from the prior.
2. **A's underlying affect** while A holds the floor is read off A's valence and arousal
   (``atanh``, minus the talk arousal); between A's turns it is interpolated (held, online).
3. **B's underlying affect** (pitfall 1): while listening, A showed
   ``tanh(mood_A + g_A u_B(t - lag_A) + noise)``, so ``u_B(s) = (atanh(x_A(s + lag_A)) - mood_A) / g_A``:
   the sampler reads A's clip *ahead* by a lag and divides out the gain, with A's lag and gains
   drawn from the prior and A's mood estimated from A's own turns. Online it cannot read ahead and
   predicts ``u_B`` from the latest inverted value with the prior's autocorrelation.
4. **B's traits** (lag, gains, mimicry, expressiveness, refractory time) are drawn from the prior;
   B's mood is drawn from its Gaussian posterior given the inverted ``u_B``. B's private noise is new.
   By default the S reactions to one speaker share one imagined conversation (A's lag and gains,
   the closing gaps, B's mood and turn voicing: one draw of the latent state) and differ by B's
   reaction traits and noise, as the dataset's extra reactions are R listeners in the one true
   conversation (``shared_conversation``; docs/data.md measures both ways).
5. B's face then follows from the very same :func:`~react_bench.data.synth.conversation.express`
   the generator uses.

How exact it is: steps 1-2 are exact up to CSV rounding (4 decimals) and frame-edge effects of the
talk mask, except the closing gap before B's turn and B's voicing inside it (prior draws, not the
posterior given A's backchannels); step 3 carries A's private valence/arousal noise (sd
``va_noise_sd / g_A``) and the prior's uncertainty about A's lag and gain, and holds ``u_B`` near
the ends of B's turns where A's lagged reaction is not in the clip; step 4 ignores what A's clip
could tell about B's lag and the other traits (nothing, by construction: A does not see B's
face). So it is a good approximation of p(B | A), not the exact posterior; the extra reactions of
:mod:`react_bench.data.extra_reactions` are exact draws given the true latent conversation.

Causal mode (the Oracle's online track): every quantity at frame t uses speaker frames <= t only
(running mood estimates, the schedule decided once a silence has outlasted any internal pause,
``u`` held or predicted, causal filters), and all randomness is drawn once per stream
(:class:`OracleDraws`), so a prefix gives exactly the first frames of the full run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from react_bench.constants import EMOTION_DIM, FPS, VA_SLICE
from react_bench.data.features.acoustic import frame_rms, talk_mask  # noqa: F401  (re-exported by synth)
from react_bench.data.synth.config import ListenerConfig, SynthConfig
from react_bench.data.synth.conversation import Traits, express, fill_turn
from react_bench.data.synth.face import NoiseStream, smooth_autocorrelation
from react_bench.errors import BadInputError

_ATANH_CLIP = 0.9999  # CSV values are rounded to 4 decimals; tanh saturates at +-1


@dataclass
class OracleDraws:
    """Everything random of ``S`` reactions to each of ``B`` speakers, drawn once (a stream's worth).

    Attributes:
        batch, samples: B and S.
        listener: prior traits of the listener, fields ``(B * S,)``.
        speaker_lag, speaker_valence_gain, speaker_arousal_gain: ``(B * S,)`` prior draws of the
            speaker's reaction parameters (used to invert its reactions).
        gap: ``(B * S,)`` int frames, the speaker's closing gap before a listener turn.
        mood_z: ``(B * S, 2)`` standard normals of the listener's mood posterior draw.
        seed: root of the per-turn voicing streams.
        noise: the listener's private white noise, batch ``(B * S,)``.
        shared_conversation: whether the S reactions of a speaker share one imagined conversation
            (see :meth:`sample`).
    """

    batch: int
    samples: int
    listener: Traits
    speaker_lag: np.ndarray
    speaker_valence_gain: np.ndarray
    speaker_arousal_gain: np.ndarray
    gap: np.ndarray
    mood_z: np.ndarray
    seed: int
    noise: NoiseStream

    shared_conversation: bool = True

    @classmethod
    def sample(
        cls, rng: np.random.Generator, batch: int, samples: int, config: SynthConfig, *,
        shared_conversation: bool = True,
    ) -> "OracleDraws":
        """``shared_conversation=True`` (the Oracle's default): the S reactions to a speaker share one
        imagined conversation (the speaker's lag and gains, its closing gaps, the listener's mood and
        turn voicing) and differ by the listener's reaction traits and private noise, the way the
        dataset's R extra reactions are R listeners in the one true conversation; ``False``:
        everything drawn per reaction (S independent draws of the approximate posterior)."""
        lc, n = config.listener, batch * samples
        m = batch if shared_conversation else n
        widen = (lambda x: np.repeat(x, samples, axis=0)) if shared_conversation else (lambda x: x)
        return cls(
            batch=batch,
            samples=samples,
            listener=Traits.sample(rng, lc, (n,)),
            speaker_lag=widen(np.round(rng.uniform(*lc.lag_s, size=m) * FPS).astype(np.int64)),
            speaker_valence_gain=widen(rng.uniform(*lc.valence_gain, size=m)),
            speaker_arousal_gain=widen(rng.uniform(*lc.arousal_gain, size=m)),
            gap=widen(np.round(rng.uniform(*config.conversation.gap_s, size=m) * FPS).astype(np.int64)),
            mood_z=widen(rng.standard_normal((m, 2))),
            seed=int(rng.integers(0, 2**62)),
            noise=NoiseStream(np.random.default_rng(int(rng.integers(0, 2**62))), (n,)),
            shared_conversation=shared_conversation,
        )


def sample_listener_reactions(
    speaker_emotion: np.ndarray,
    speaker_audio: Sequence[np.ndarray] | np.ndarray,
    *,
    num_samples: int,
    rng: np.random.Generator,
    config: SynthConfig | None = None,
    causal: bool = False,
    shared_conversation: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``num_samples`` reactions per speaker clip of the synthetic conversation process (module docstring).

    Args:
        speaker_emotion: ``(B, T, 25)`` speaker emotion channels (as read from the dataset).
        speaker_audio: B arrays ``(L,)`` (or one ``(B, L)`` array) of speaker audio at 16 kHz.
        num_samples: S reactions per speaker.
        rng: the source of all randomness (same state, same reactions).
        config: the dataset's generator config (``synthetic.json``); the default config when None.
        causal: frame t uses speaker frames <= t only (the online track).
        shared_conversation: the reactions to a speaker share one imagined conversation
            (:meth:`OracleDraws.sample`); False draws everything per reaction.

    Returns:
        ``(emotion (B, S, T, 25), threedmm (B, S, T, 58))``, float32.
    """
    config = config or SynthConfig()
    speaker_emotion = np.asarray(speaker_emotion)
    if speaker_emotion.ndim != 3 or speaker_emotion.shape[-1] != EMOTION_DIM:
        raise BadInputError(
            f"speaker_emotion must be (B, T, {EMOTION_DIM}); got {speaker_emotion.shape}. "
            f"Add a batch axis with emotion[None] for a single speaker."
        )
    batch, frames, _ = speaker_emotion.shape
    if len(speaker_audio) != batch:
        raise BadInputError(f"speaker_audio must hold one 16 kHz array per speaker ({batch}); got {len(speaker_audio)}")
    if num_samples < 1:
        raise BadInputError(f"num_samples must be >= 1; got {num_samples}")
    talk = np.stack([talk_mask(a, frames, threshold=config.listener.talk_threshold) for a in speaker_audio])
    draws = OracleDraws.sample(rng, batch, num_samples, config, shared_conversation=shared_conversation)
    return react_to(speaker_emotion, talk, draws, config, causal=causal)


def react_to(
    speaker_emotion: np.ndarray, speaker_talk: np.ndarray, draws: OracleDraws, config: SynthConfig, *, causal: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The reactions of ``draws`` to ``speaker_emotion (B, T, 25)`` with talk mask ``speaker_talk (B, T)``:
    ``(emotion (B, S, T, 25), threedmm (B, S, T, 58))`` float32."""
    B, T, _ = speaker_emotion.shape
    S, cc, lc = draws.samples, config.conversation, config.listener
    rep = lambda x: np.repeat(np.asarray(x), S, axis=0)  # noqa: E731  (B, ...) -> (B * S, ...)
    voice_a = rep(speaker_talk.astype(bool))  # (BS, T)
    shown = np.clip(rep(speaker_emotion[..., VA_SLICE]).astype(np.float64), -_ATANH_CLIP, _ATANH_CLIP)
    shown = np.arctanh(shown)  # (BS, T, 2), A's affect before tanh

    holds_b = _listener_floor(voice_a, draws.gap, cc, causal=causal)  # (BS, T)
    voice_b = _listener_voicing(holds_b, draws, cc, causal=causal)
    ac = smooth_autocorrelation(cc.affect_smoothing_s, np.arange(-20 * FPS, 20 * FPS + 1))
    corr_frames = float(ac.sum())  # frames per independent value of u

    # Step 2: A's underlying affect on A's floor; mood_A from it.
    own_a = ~holds_b
    u_a = shown - np.stack([np.zeros_like(voice_a, float), cc.talk_arousal * voice_a], axis=-1)
    mood_a = _mood_estimate(u_a, own_a, causal, corr_frames, cc.affect_sd, lc.mood_sd)  # (BS, T, 2)
    u_a = _fill(u_a, own_a, causal, prior=mood_a, ac=ac, lag=np.zeros(len(u_a), np.int64))

    # Step 3: invert A's lagged reactions during B's floor into B's underlying affect.
    gains = np.stack([draws.speaker_valence_gain, draws.speaker_arousal_gain], axis=-1)[:, None, :]  # (BS, 1, 2)
    offset = np.array([0.0, cc.listen_arousal])
    w = (shown - mood_a - offset) / gains  # at A-listening frame t: u_B(t - lag_A)
    mood_b_mean, mood_b_sd = _mood_posterior(w, holds_b, causal, corr_frames, cc.affect_sd, lc.mood_sd)
    u_b = _fill(w, holds_b, causal, prior=mood_b_mean, ac=ac, lag=draws.speaker_lag)
    mood_b = mood_b_mean + mood_b_sd * draws.mood_z[:, None, :]  # (BS, T, 2)

    listener = replace(draws.listener, valence_mood=mood_b[..., 0], arousal_mood=mood_b[..., 1])
    emotion, threedmm, _ = express(
        listener, holds_floor=holds_b, voice=voice_b, own_affect=u_b, partner_affect=u_a,
        partner_voice=voice_a, white=draws.noise.get(T), listener=lc, conversation=cc,
    )
    return (emotion.reshape(B, S, T, -1).astype(np.float32), threedmm.reshape(B, S, T, -1).astype(np.float32))


def _listener_floor(voice_a: np.ndarray, gap: np.ndarray, cc, *, causal: bool) -> np.ndarray:
    """``(BS, T)`` bool: frames where the listener holds the floor, from the speaker's voicing."""
    n, T = voice_a.shape
    holds = np.zeros((n, T), dtype=bool)
    long_silence = int(round(cc.turn_silence_s * FPS))
    longest_pause = int(round(cc.pause_s[1] * FPS)) + 1
    for row in range(n):
        padded = np.concatenate([[True], voice_a[row], [True]])
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        for start, stop in zip(edges[::2], edges[1::2]):  # silent runs [start, stop)
            if causal:
                # Decided online: a silence that outlasts every internal pause is the partner's turn.
                holds[row, min(start + longest_pause, stop) : stop] = True
            elif stop - start >= long_silence or (start == 0 and stop - start >= long_silence // 2):
                holds[row, (start + gap[row] if start > 0 else 0) : stop] = True
    return holds


def _listener_voicing(holds_b: np.ndarray, draws: OracleDraws, cc, *, causal: bool) -> np.ndarray:
    """``(BS, T)`` bool voicing of the listener inside its turns, drawn from the turn prior."""
    n, T = holds_b.shape
    voice = np.zeros((n, T), dtype=bool)
    for row in range(n):
        padded = np.concatenate([[False], holds_b[row], [False]])
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        for start, stop in zip(edges[::2], edges[1::2]):
            # One stream per (row, turn start): the same turn gets the same voicing in any prefix.
            rng = np.random.default_rng([draws.seed, row // draws.samples if draws.shared_conversation else row, int(start)])
            # Online the turn's end is unknown: its closing gap is placed past the clip's end.
            length = T - start + int(round(cc.gap_s[1] * FPS)) + 1 if causal else stop - start
            voice[row, start:stop] = fill_turn(rng, length, cc)[: stop - start]
    return voice


def _mood_estimate(u: np.ndarray, known: np.ndarray, causal: bool, corr_frames: float, sd: float, prior_sd: float):
    """``(BS, T, 2)`` posterior mean of a person's mood from its underlying affect ``u`` at ``known`` frames."""
    mean, _ = _mood_posterior(u, known, causal, corr_frames, sd, prior_sd)
    return mean


def _mood_posterior(u: np.ndarray, known: np.ndarray, causal: bool, corr_frames: float, sd: float, prior_sd: float):
    """Gaussian posterior ``(mean, sd)``, each ``(BS, T, 2)``, of a mood from ``u (BS, T, 2)`` at ``known (BS, T)``
    frames (prior N(0, prior_sd^2); ``u`` = mood + noise of sd ``sd`` correlated over ``corr_frames``).
    Offline it uses every known frame; causal, the frames up to t."""
    weights = known[..., None].astype(np.float64)
    if causal:
        count, total = np.cumsum(weights, axis=1), np.cumsum(u * weights, axis=1)
    else:
        count = np.broadcast_to(weights.sum(axis=1, keepdims=True), u.shape)
        total = np.broadcast_to((u * weights).sum(axis=1, keepdims=True), u.shape)
    effective = count / corr_frames
    precision = 1.0 / prior_sd**2 + effective / sd**2
    mean = (total / corr_frames / sd**2) / precision
    return mean, np.sqrt(1.0 / precision)


def _fill(values: np.ndarray, known: np.ndarray, causal: bool, *, prior: np.ndarray, ac: np.ndarray, lag: np.ndarray):
    """``(BS, T, 2)`` estimate at every frame of a process seen at ``known`` frames, each value standing for
    frame ``t - lag``. Offline: linear interpolation (held at the ends). Causal: the latest value,
    shrunk towards ``prior`` by the autocorrelation ``ac`` (index 0 = lag ``-(len(ac) // 2)``)."""
    n, T, C = values.shape
    out = np.empty_like(values)
    frames = np.arange(T)
    centre = len(ac) // 2
    for row in range(n):
        idx = np.flatnonzero(known[row])
        if causal:
            last = np.maximum.accumulate(np.where(known[row], frames, -1))  # latest known frame <= t
            have = last >= 0
            distance = np.clip(frames - last + lag[row], 0, centre)
            rho = np.where(have, ac[centre + distance], 0.0)[:, None]
            seen = values[row, np.maximum(last, 0)]
            out[row] = prior[row] + rho * (seen - prior[row])
        elif len(idx) == 0:
            out[row] = prior[row]
        else:
            for c in range(C):
                out[row, :, c] = np.interp(frames, idx - lag[row], values[row, idx, c])
    return out
