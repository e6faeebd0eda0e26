"""Acoustic feature extractors (mfcc, wav2vec2)."""
