"""The dataset layer: the REACT2024 layout (loader, appropriateness matrix, checks), the
synthetic dyadic dataset, and per-clip features. See docs/data.md."""

from react_bench.data.appropriateness import APPROPRIATENESS_THRESHOLD, build_appropriateness, validate_appropriateness
from react_bench.data.check import FE_SUM_TOLERANCE, CheckReport, Problem, check_dataset, inspect_dataset
from react_bench.data.dataset import ReactDataset, ReactSample
from react_bench.data.default import default_data_root, synthetic_dataset_path
from react_bench.data.feature_cache import default_feature_cache_dir
from react_bench.data.features import Clip, FeatureExtractor, available_extractors, make_extractor, register_extractor
from react_bench.data.synth import ListenerConfig, SynthConfig, generate_dataset, sample_listener_reactions

__all__ = [
    "APPROPRIATENESS_THRESHOLD",
    "FE_SUM_TOLERANCE",
    "CheckReport",
    "Clip",
    "FeatureExtractor",
    "ListenerConfig",
    "Problem",
    "ReactDataset",
    "ReactSample",
    "SynthConfig",
    "available_extractors",
    "build_appropriateness",
    "check_dataset",
    "default_data_root",
    "default_feature_cache_dir",
    "generate_dataset",
    "inspect_dataset",
    "make_extractor",
    "register_extractor",
    "sample_listener_reactions",
    "synthetic_dataset_path",
    "validate_appropriateness",
]
