"""read_wav reads what the official loader (soundfile) reads: float32, 24-bit PCM, WAVE_FORMAT_EXTENSIBLE.

Files are written by hand (wave / struct) where possible, so the expected values do not come from
the library under test.
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from react_bench.data.io import pcm16_to_float, read_wav, to_mono_16k

RATE = 16_000


def _pcm24_bytes(values: np.ndarray) -> bytes:
    """Little-endian 3-byte two's complement samples."""
    return b"".join(int(v).to_bytes(3, "little", signed=True) for v in values.reshape(-1))


def test_pcm24_written_by_wave(tmp_path):
    values = np.array([[0], [1], [-1], [2**23 - 1], [-(2**23)], [12345]], dtype=np.int64)
    path = tmp_path / "pcm24.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(3)
        handle.setframerate(RATE)
        handle.writeframes(_pcm24_bytes(values))
    audio, rate = read_wav(path)
    assert rate == RATE and audio.shape == (6, 1) and audio.dtype == np.float32
    np.testing.assert_array_equal(audio, (values / 2**23).astype(np.float32))


def test_float32_wav(tmp_path):
    values = np.random.default_rng(0).uniform(-1, 1, size=(500, 2)).astype(np.float32)
    path = tmp_path / "float.wav"
    soundfile.write(path, values, 44_100, subtype="FLOAT")
    assert soundfile.info(str(path)).subtype == "FLOAT"
    audio, rate = read_wav(path)
    assert rate == 44_100
    np.testing.assert_array_equal(audio, values)
    np.testing.assert_allclose(to_mono_16k(audio, rate, rate), values.mean(axis=1), rtol=0, atol=1e-7)


def _extensible_wav(pcm: np.ndarray, rate: int) -> bytes:
    """A 16-bit WAVE_FORMAT_EXTENSIBLE (0xFFFE) file with the PCM sub-format GUID, written field by field."""
    frames, channels = pcm.shape
    block = 2 * channels
    pcm_guid = struct.pack("<IHH", 1, 0x0000, 0x0010) + bytes([0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
    fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * block, block, 16)
    fmt += struct.pack("<HHI", 22, 16, 0x3 if channels == 2 else 0x4) + pcm_guid
    data = pcm.astype("<i2").tobytes()
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_extensible_header_written_by_hand(tmp_path):
    pcm = np.random.default_rng(1).integers(-32768, 32768, size=(300, 2)).astype(np.int16)
    path = tmp_path / "extensible.wav"
    path.write_bytes(_extensible_wav(pcm, RATE))
    assert struct.unpack("<H", path.read_bytes()[20:22])[0] == 0xFFFE
    with pytest.raises(wave.Error):  # what the standard-library reader did with it
        wave.open(str(path), "rb")
    audio, rate = read_wav(path)
    assert rate == RATE and audio.shape == (300, 2)
    np.testing.assert_array_equal(audio, pcm16_to_float(pcm))


def test_extensible_written_by_libsndfile_with_four_channels(tmp_path):
    values = np.random.default_rng(2).uniform(-1, 1, size=(200, 4)).astype(np.float32)
    path = tmp_path / "wavex.wav"
    soundfile.write(path, values, RATE, format="WAVEX", subtype="FLOAT")
    assert struct.unpack("<H", path.read_bytes()[20:22])[0] == 0xFFFE
    audio, _ = read_wav(path)
    np.testing.assert_array_equal(audio, values)
    np.testing.assert_allclose(to_mono_16k(audio, RATE, RATE), values.mean(axis=1), atol=1e-7)


def test_unreadable_file_is_named(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(ValueError, match=rf"audio file {path} is not a readable PCM wav or other file libsndfile reads \(Error in WAV file. No 'data' chunk marker"):
        read_wav(path)
    with pytest.raises(FileNotFoundError, match="missing.wav not found"):
        read_wav(Path(tmp_path / "missing.wav"))
