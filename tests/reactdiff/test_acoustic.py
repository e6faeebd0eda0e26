import numpy as np
import pytest
import torch
import torchaudio

from react_bench.data.features import Clip, make_extractor


def _clip(seconds: float, seed: int = 0) -> Clip:
    audio = np.random.default_rng(seed).normal(0, 0.1, int(seconds * 16000)).astype(np.float32)
    T = len(audio) // 640
    return Clip(np.zeros((T, 25), np.float32), np.zeros((T, 58), np.float32), audio, None, "a/b/c/d")


def test_mfcc_is_26d_at_25fps_and_matches_torchaudio():
    clip = _clip(2.0)
    out = make_extractor("mfcc")(clip)
    assert out.shape == (50, 26) and out.dtype == np.float32
    reference = torchaudio.transforms.MFCC(
        sample_rate=16000, n_mfcc=26,
        melkwargs={"n_fft": 640, "win_length": 640, "hop_length": 640, "n_mels": 26, "center": False},
    )(torch.from_numpy(clip.audio)).T.numpy()
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-4)


def test_wav2vec2_loads_a_local_tiny_model(tmp_path):
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    config = Wav2Vec2Config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                            conv_dim=(8,) * 7, num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)
    torch.manual_seed(0)
    Wav2Vec2Model(config).save_pretrained(tmp_path / "w2v")
    extractor = make_extractor("wav2vec2", path=str(tmp_path / "w2v"))
    out = extractor(_clip(2.0))
    assert extractor.dim == 32 and out.shape == (50, 32)
    # the pairing: frame k = hidden states 2k and 2k+1 concatenated
    model = Wav2Vec2Model.from_pretrained(tmp_path / "w2v").eval()
    with torch.no_grad():
        hidden = model(torch.from_numpy(_clip(2.0).audio)[None]).last_hidden_state[0].numpy()
    np.testing.assert_allclose(out[3], np.concatenate([hidden[6], hidden[7]]), rtol=1e-4, atol=1e-5)


def test_wav2vec2_without_a_model_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="no wav2vec2 model at"):
        make_extractor("wav2vec2", path=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="needs path="):
        make_extractor("wav2vec2")
