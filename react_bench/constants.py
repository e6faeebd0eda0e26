"""Constants of the REACT2024 challenge, defined once and imported everywhere.

Shapes used across the package:
    emotion sequences   (B, T, 25)      B clips, T frames, 25 emotion channels
    generations         (B, S, T, 25)   S generated reactions per speaker
    3DMM sequences      (B, T, 58)
"""

FPS = 25
"""Video frame rate of every REACT2024 stream (frames per second)."""

CLIP_FRAMES = 750
"""Frames per clip used for evaluation (the files hold 751; the last one is dropped)."""

FILE_FRAMES = 751
"""Rows of an emotion CSV / 3DMM array as the challenge ships them."""

NUM_GENERATIONS = 10
"""Reactions a submission generates per speaker sample in the challenge."""

# --- emotion channels (25) -------------------------------------------------
EMOTION_DIM = 25
AU_SLICE = slice(0, 15)
"""15 facial action unit occurrences (binary in the real data)."""
VA_SLICE = slice(15, 17)
"""Valence and arousal in [-1, 1]."""
FE_SLICE = slice(17, 25)
"""8 facial-expression probabilities (each row sums to 1)."""
NUM_AU = AU_SLICE.stop - AU_SLICE.start
NUM_VA = VA_SLICE.stop - VA_SLICE.start
NUM_FE = FE_SLICE.stop - FE_SLICE.start

AU_NAMES = (
    "AU1", "AU2", "AU4", "AU6", "AU7", "AU9", "AU10", "AU12",
    "AU14", "AU15", "AU17", "AU23", "AU24", "AU25", "AU26",
)
VA_NAMES = ("Valence", "Arousal")
FE_NAMES = ("Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger", "Contempt")
EMOTION_COLUMNS = AU_NAMES + VA_NAMES + FE_NAMES
"""Header of an emotion CSV, in channel order."""

# --- 3DMM coefficients (58) ------------------------------------------------
THREEDMM_DIM = 58
EXPRESSION_SLICE = slice(0, 52)
ROTATION_SLICE = slice(52, 55)
TRANSLATION_SLICE = slice(55, 58)

# --- audio -----------------------------------------------------------------
FEATURE_SAMPLE_RATE = 16_000
"""Audio is resampled to 16 kHz before any acoustic feature is computed."""
SAMPLES_PER_FRAME = FEATURE_SAMPLE_RATE // FPS
"""16 kHz audio samples per 25 fps video frame (640): samples ``640 t .. 640 (t + 1)`` belong to frame t."""
REAL_AUDIO_SAMPLE_RATE = 44_100
"""Sample rate of the wav files in the real REACT2024 release."""

# --- dataset layout ---------------------------------------------------------
SPLITS = ("train", "val", "test")
MODALITY_DIRS = {
    "video": "Video_files",
    "audio": "Audio_files",
    "emotion": "Emotion",
    "3dmm": "3D_FV_files",
}
"""Folder name of each modality under ``<root>/<split>/``."""
ROLES = ("speaker", "listener")

# --- metrics -----------------------------------------------------------------
TLCC_MAX_LAG = 49
"""FRSyn searches lags -49..49 (99 lags, about 2 s at 25 fps)."""
CCC_EPS = 1e-8
"""Added to the CCC denominator, as the official code does."""
