"""Per-frame feature extractors: the protocol, the registry, and the built-in extractors.

Importing this package registers ``face_va``, ``face_au``, ``face_fe`` (synthetic face
encoder) and the acoustic extractors (``mfcc``, ``wav2vec2``).
"""

from react_bench.data.features import acoustic, synthetic_face  # noqa: F401  (registers extractors)
from react_bench.data.features.base import (
    Clip,
    ExtractorFactory,
    FeatureExtractor,
    FeatureRequest,
    FeatureSpec,
    as_feature_spec,
    available_extractors,
    make_extractor,
    register_extractor,
)
from react_bench.data.features.synthetic_face import SyntheticFaceEncoder

__all__ = [
    "Clip",
    "ExtractorFactory",
    "FeatureExtractor",
    "FeatureRequest",
    "FeatureSpec",
    "SyntheticFaceEncoder",
    "as_feature_spec",
    "available_extractors",
    "make_extractor",
    "register_extractor",
]
