"""The MARS layout of REACT2025 / REACT2026: reader (``MarsDataset``), layout detection, checker,
and a writer that turns a REACT2024-layout synthetic dataset into a MARS-layout one.

Modules, one job each: ``paths`` (folders, frame rate, detection, the walk), ``reading`` (per-frame
arrays, personality and EEG tables, 3DMM normalisation), ``windows`` (clips cut into scored windows),
``appropriateness`` (session rule and the official test-time draw), ``dataset`` (``MarsDataset``),
``checker`` (``check_mars``), ``writer`` (``write_mars_layout``).

Ground truth: reactmultimodalchallenge/baseline_react2025 ``dataset/react_2025.py``
(``ReactionDataset``), baseline_react2026 ``dataset/react_2025.py`` and
``dataset/perfrdiff_rewrite_weight.py`` (``PerFRDiffRewriteWeightDataset``), the offline
``Trainer.test`` of ``trainer/motion_diffusion.py``, and the configs (``seed: 1234``,
``clip_length: 750``, ``fps: 30``, ``num_gts: 10``). Full notes: docs/real-data.md.

Layout: ``<root>/<split>/<modality>/<role>/<session>/<stem><ext>`` with the folders of
:data:`MARS_DIRS`, role ``speaker`` or ``listener``, sessions ``session<i>``.

Samples (shapes: N samples, W = ``window_frames``):

- A *pair* is a clip ``<role>/<session>/<stem>`` as speaker and ``<other role>/<session>/<stem>``
  as listener (paired by identical stem within a session, as both official loaders do). With
  ``bidirectional=True`` (REACT2025, whose loader walks both role folders) both roles give pairs;
  with False (REACT2026's default) only ``speaker/`` does.
- Pair order (documented, not the official ``os.walk`` order, which depends on the file system):
  sorted by (role: speaker first, session number, stem).
- A pair's length L is the minimum of its speaker/listener emotion and 3DMM lengths (and the
  speaker's wav2vec features when present), as ``PerFRDiffRewriteWeightDataset.__getitem__`` does.
- Windows: the offline ``Trainer.test`` cuts the speaker into consecutive windows of
  ``clip_length`` = 750 frames from frame 0, zero-pads the last one, and keeps the first L
  predicted frames. Each such window is one react-bench sample: sample k is (pair, start);
  frames past ``valid_frames[k]`` are zeros. (The official code adds one all-padding window when
  L is a multiple of 750 and drops its frames again; it is not a sample here.) The padding is never
  scored: the official test keeps ``[:, :clip_length]`` before its metrics, and react-bench passes
  ``valid_frames`` to ``evaluate`` (``react_bench.metrics.valid_frames``).
- Appropriateness (``appropriateness_kind``): "session": listener reaction j is appropriate for
  speaker k when j's listener clip is one of the clips of k's listener role and session (the
  official ``gt_path_dict``), any window of it. "test-draw" (the test split): the official test
  scores sample k against its own listener plus 9 clips drawn from that session
  (``random.sample`` when the session has at least 9 others, else ``random.choices``), with
  Python's ``random`` seeded by ``draw_seed`` (1234, the configs' seed) and drawn pair by pair in
  the order above; see :func:`draw_test_targets`.
- 3DMM: ``(e - mean_face) / std_face`` ("standard", the official default) or ``e - mean_face``
  ("zero_center") with ``mean_face.npy`` / ``std_face.npy`` from ``face_stats_dir`` (the
  baselines' ``external/FaceVerse``), else from ``<root>``; ``normalize_3dmm=None`` keeps them raw.
"""

from react_bench.data.mars.appropriateness import (
    NUM_EXTRA_TARGETS,
    OFFICIAL_DRAW_SEED,
    draw_test_targets,
    official_test_draw,
    window_matrix,
)
from react_bench.data.mars.checker import check_mars
from react_bench.data.mars.dataset import MarsDataset, MarsSample
from react_bench.data.mars.paths import (
    AUDIO_FEATURE_DIM,
    MARS_DIRS,
    MARS_EXTENSIONS,
    MARS_FPS,
    MARS_WINDOW_FRAMES,
    detect_layout,
    mars_file,
    walk_clips,
)
from react_bench.data.io import read_npy_frames
from react_bench.data.mars.reading import (
    EEG_COLUMNS,
    EEG_RAW_SCALE,
    PERSONALITY_TRAITS,
    read_eeg,
    read_personality,
)
from react_bench.data.mars.windows import cut_windows
from react_bench.data.mars.writer import write_mars_layout

__all__ = [
    "AUDIO_FEATURE_DIM",
    "EEG_COLUMNS",
    "EEG_RAW_SCALE",
    "MARS_DIRS",
    "MARS_EXTENSIONS",
    "MARS_FPS",
    "MARS_WINDOW_FRAMES",
    "NUM_EXTRA_TARGETS",
    "OFFICIAL_DRAW_SEED",
    "PERSONALITY_TRAITS",
    "MarsDataset",
    "MarsSample",
    "check_mars",
    "cut_windows",
    "detect_layout",
    "draw_test_targets",
    "mars_file",
    "official_test_draw",
    "read_eeg",
    "read_npy_frames",
    "read_personality",
    "walk_clips",
    "window_matrix",
    "write_mars_layout",
]
