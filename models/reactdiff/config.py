"""``ReactDiffConfig``: every size and switch of the model and its training, with the two presets.

``SMALL`` trains on the synthetic dataset on a 2-core CPU in minutes; ``PAPER`` has the paper's
dimensions (VA 64, AU 25088, FE 1408, MFCC 26, wav2vec2 1536, hidden 1024, latent 128) and is meant
for a GPU. A checkpoint stores ``asdict(config)``, so ``ReactDiffConfig(**ckpt["config"])`` rebuilds it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from react_bench.data.features.base import FeatureSpec
from react_bench.errors import BadInputError


VOICE_ACTIVITY = ("voice_activity", 2)
"""(extractor, dim) of the speaker stream that ``cond_voice_activity`` adds to the UNet's condition."""


@dataclass
class ReactDiffConfig:
    # --- inputs -------------------------------------------------------------------------------
    au_feature: tuple[str, int] = ("face_au", 64)  # (extractor, dim): the query stream of the facial intra-attention
    face_features: tuple[tuple[str, int], ...] = (("face_fe", 32), ("face_va", 16))  # keys of the facial intra-attention
    speaker_emotion: bool = True  # add the person's own 25-d emotion as a facial stream (deviation: most informative on synthetic data)
    mfcc_feature: tuple[str, int] = ("mfcc", 26)  # the acoustic key stream
    wav2vec2_feature: tuple[str, int] | None = None  # acoustic query stream (None: MFCC queries itself)
    wav2vec2_path: str | None = None  # local folder of a saved Wav2Vec2Model (save_pretrained); nothing is downloaded
    use_audio: bool = True  # ablation reactdiff-noaudio: drop the acoustic branch
    use_visual: bool = True  # ablation reactdiff-novideo (alias -novisual): drop the facial branch
    use_mmt: bool = True  # ablation reactdiff-nommt (False): a per-frame linear projection of the concatenated
    # standardised input features to the latent replaces the Multi-Modality Transformer
    # --- network sizes ------------------------------------------------------------------------
    d_model: int = 64  # hidden width of the MMT and the decoder (paper 1024): cost grows ~quadratically
    latent_dim: int = 16  # per-frame latent size F (paper 128): the space the diffusion works in
    window: int = 50  # ws, frames per latent window (2 s): also the online chunk
    heads: int = 4  # attention heads
    encoder_layers: int = 1  # self-attention layers after the inter-modal fusion
    decoder_layers: int = 2  # transformer layers of the decoder
    dropout: float = 0.1  # dropout in attention/MLPs while training (always off at inference)
    causal: bool = True  # frame-causal attention everywhere: one model serves both tracks
    unet_causal: bool = True  # frame-causal UNet (causal convs, per-frame norms, z_bc from the previous speaker
    # window): needed online, where listener frame t may read speaker frames <= t only; False is the paper's UNet,
    # whose every frame reads the whole current speaker window (up to 49 frames ahead): offline only
    unet_channels: int = 64  # base width of the 1-D UNet
    cond_dim: int = 128  # size of z_bc = GroupNorm(MLP(flatten(speaker window latent))) (paper 1024)
    cond_lags: tuple[int, ...] = (0, 12, 25, 37)  # frames: the speaker latent delayed by each lag is concatenated
    # frame by frame to the UNet input (a listener follows the speaker 0.2-1.5 s late); each lag <= window,
    # since a listener window sees the speaker's previous window and its own, never a later one; () = the
    # paper's window-level condition z_bc alone
    cond_voice_activity: bool = True  # deviation: the speaker's voice activity (talk 0/1 and the current
    # silence in s, the ``voice_activity`` extractor) is concatenated frame by frame to the speaker latent the UNet
    # is conditioned on (z_bc and the lags): who holds the floor decides what a listener does, and the latent,
    # trained to reconstruct a face, keeps little of it (docs/reactdiff.md); needs use_audio
    linear_prior: bool = True  # deviation: stage 2 diffuses the residual of the listener latent around a
    # closed-form ridge prediction from the condition (CARD's prior mean; models/reactdiff/prior.py)
    prior_look_ahead: bool = True  # deviation, offline only (needs linear_prior): sampling on the offline track adds
    # a second prior that also reads the speaker up to 2 s ahead (the speaker's later reactions show what the
    # listener felt); the UNet and the online track keep the causal prior (models/reactdiff/prior.py)
    window_chain: bool = True  # condition each latent window on the last latent frame of the previous window of
    # the same generation (sampled one after the other; trained with the true previous listener window), so
    # consecutive 2 s windows join smoothly; False: windows sampled independently, as the paper's sampler
    chain_drop_prob: float = 0.1  # share of stage-2 windows trained without the previous window (as window 0 is)
    # --- diffusion ----------------------------------------------------------------------------
    use_diffusion: bool = True  # ablation reactdiff-nodiffusion: regress x0 from the condition instead
    train_timesteps: int = 1000  # diffusion steps of the forward process
    inference_steps: int = 10  # DDIM sampling steps (paper 20; 10 scored as 20 on val at half the sampling time)
    beta_schedule: str = "linear"  # "linear" or "cosine"
    denoise_loss: str = "l2"  # stage-2 error of the eps prediction (of x0 without diffusion): "l2", DDPM's, whose
    # minimiser is the conditional mean that DDIM's update assumes (chosen on val), or "l1" (the authors' loss_type)
    eta: float = 0.0  # DDIM eta (0: deterministic given x_T)
    temperature: float = 0.6  # scale of x_T at sampling (< 1 trades diversity for appropriateness; chosen on val)
    cond_drop_prob: float = 0.1  # share of stage-2 windows trained with the null condition (classifier-free guidance)
    residual_scale: float = 0.3  # sampled x0 = prior mean + residual_scale * (sampled residual): < 1 shrinks each
    # sample towards the prior mean (with linear_prior; the mean latent without), a sampling-only knob (chosen on val)
    guidance_scale: float = 1.0  # eps = eps_null + w (eps_cond - eps_null) at sampling (chosen on val with the
    # prior: the UNet only draws the residual); 1: plain conditional, the null condition is then never used
    # --- training -----------------------------------------------------------------------------
    stage1_epochs: int = 40  # autoencoder epochs (MMT + decoder)
    stage2_epochs: int = 60  # diffusion epochs (MMT and decoder frozen); 90 until 2026-12-03: 60 scored as well on val
    # (docs/reactdiff.md) and keeps a run from a fresh clone near 12 min on a slow 2-core machine
    lr: float = 2e-3  # AdamW learning rate
    weight_decay: float = 5e-4  # AdamW weight decay (paper)
    batch_size: int = 8  # clips per stage-1 step
    crop_windows: int = 2  # stage 1 trains on random crops of this many windows (speed)
    stage2_batch_size: int = 128  # latent windows per stage-2 step
    ema_decay: float = 0.995  # EMA of the weights used for validation and sampling
    max_train_seconds: float | None = None  # optional wall-clock cap (split 40/60); off by default because
    # a time cap makes the epoch count, and so the numbers, depend on the machine's speed
    num_threads: int = 2  # torch CPU threads while training and sampling

    @property
    def feature_specs(self) -> tuple[FeatureSpec, ...]:
        """The extractors the model reads, with the options that give the dims of this config."""
        specs = []
        if self.use_visual:
            for name, dim in (self.au_feature, *self.face_features):
                specs.append(FeatureSpec.of(name, dim=dim))
        if self.use_audio:
            specs.append(FeatureSpec.of(self.mfcc_feature[0], n_mfcc=self.mfcc_feature[1]))
            if self.wav2vec2_feature:
                specs.append(FeatureSpec.of(self.wav2vec2_feature[0], path=self.wav2vec2_path))
        if self.reads_voice_activity:
            specs.append(FeatureSpec.of(VOICE_ACTIVITY[0]))
        return tuple(specs)

    @property
    def reads_voice_activity(self) -> bool:
        """Whether the UNet's condition carries the speaker's voice activity (an audio feature: not without audio)."""
        return self.cond_voice_activity and self.use_audio

    @property
    def reads_ahead(self) -> bool:
        """Whether offline sampling reads the speaker's next window (the look-ahead linear prior)."""
        return self.linear_prior and self.prior_look_ahead

    @property
    def cond_channels(self) -> int:
        """Channels per frame of the UNet's condition: the speaker latent, then its voice activity."""
        return self.latent_dim + (VOICE_ACTIVITY[1] if self.reads_voice_activity else 0)

    @classmethod
    def from_dict(cls, values: dict) -> "ReactDiffConfig":
        """Rebuild from ``asdict(config)`` (lists from JSON become tuples again).

        A field missing from ``values`` (a checkpoint saved before the field existed) takes the value that
        reproduces the model of that time (:data:`LEGACY_VALUES`), not today's default, so the weights
        still fit the network.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadInputError(f"unknown ReactDiffConfig fields {unknown}; known: {sorted(known)}")
        def tup(v):
            return tuple(tup(x) for x in v) if isinstance(v, (list, tuple)) else v
        legacy = {k: v for k, v in LEGACY_VALUES.items() if k not in values}
        return cls(**legacy, **{k: tup(v) for k, v in values.items()})

    def replace(self, **changes) -> "ReactDiffConfig":
        return replace(self, **changes)


SAMPLING_FIELDS = frozenset({"temperature", "guidance_scale", "eta", "inference_steps", "residual_scale"})
"""Fields that only sampling reads: a fitted model samples with other values of them as it is (no refit)."""

LEGACY_VALUES = {"window_chain": False, "use_mmt": True, "denoise_loss": "l1", "cond_voice_activity": False,
                 "linear_prior": False, "prior_look_ahead": False}
"""Fields added after checkpoints were first saved -> the value that rebuilds those checkpoints' networks."""

SMALL = ReactDiffConfig()
"""The default: trains on the synthetic medium dataset on a 2-core CPU within the run budget."""

PAPER = ReactDiffConfig(
    au_feature=("face_au", 25088),
    face_features=(("face_fe", 1408), ("face_va", 64)),
    speaker_emotion=False,
    wav2vec2_feature=("wav2vec2", 1536),
    d_model=1024,
    latent_dim=128,
    heads=8,
    encoder_layers=2,
    decoder_layers=4,
    causal=False,
    unet_causal=False,
    unet_channels=128,
    cond_dim=1024,
    denoise_loss="l1",  # the authors' config (2_farfusion_ldm.yaml: loss_type l1)
    inference_steps=20,  # the paper's 20 DDIM steps
    max_train_seconds=None,
    stage1_epochs=100,
    stage2_epochs=500,
    batch_size=8,
)
"""The paper's dimensions (GPU)."""

PAPER_EXACT = PAPER.replace(
    cond_lags=(),  # Sec. 3.4: the window-level vector z_bc alone (frame-level constraints reduce diversity)
    window_chain=False,  # the paper samples each window from its own x_T
    cond_voice_activity=False,  # the paper's condition is the speaker's latent alone ...
    linear_prior=False,  # ... and its diffusion draws the listener latent itself, not a residual around a prior
    prior_look_ahead=False,
    residual_scale=1.0,
    guidance_scale=1.0,  # no classifier-free guidance ...
    cond_drop_prob=0.0,  # ... so no condition dropout either (authors' code: cond_dropout 0)
    temperature=1.0,  # x_T ~ N(0, I)
    train_timesteps=20,  # the authors' schedule: 20 diffusion steps, cosine betas (config diffusion_steps: 20,
    beta_schedule="cosine",  # LatentDiffusion's default noise_schedule "cosine"), sampled with all 20
    inference_steps=20,
    lr=5e-3,  # the paper's learning rate (issue 11's audit of the paper; the authors' configs use 1e-4 / 5e-5)
    batch_size=16,  # 16 clips per step in both stages (paper; authors' configs: batch_size 16)
    stage2_batch_size=16 * 15,  # stage 2 counts 50-frame windows: 16 clips of 750 frames
    crop_windows=15,  # whole 30 s clips in stage 1, no random crops
    ema_decay=0.0,  # no EMA of the weights (0: the "EMA" is the current weights)
    stage1_epochs=100,
    stage2_epochs=500,
)
"""The paper's configuration as far as it is written down (docs/reactdiff.md, "Our defaults against the paper")."""

PRESETS = {"small": SMALL, "paper": PAPER, "paper-exact": PAPER_EXACT}
