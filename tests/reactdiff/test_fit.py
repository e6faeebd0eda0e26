import torch

from react_bench.data import ReactDataset
from react_bench.models.reactdiff import ReactDiffSubmission
from react_bench.submissions import SpeakerBatch

from reactdiff_helpers import TINY


def test_fit_end_to_end_on_the_small_synthetic_set(synthetic_root):
    train, val = ReactDataset(synthetic_root, "train"), ReactDataset(synthetic_root, "val")
    sub = ReactDiffSubmission(**TINY)
    before = {k: v.clone() for k, v in sub.model.state_dict().items()}
    sub.fit(train, val=val, seed=0)
    after = sub.model.state_dict()
    assert not torch.equal(before["unet.inp.weight"], after["unet.inp.weight"])
    assert not torch.equal(before["latent_std"], after["latent_std"])
    assert not sub.model.training
    test = ReactDataset(synthetic_root, "test")
    k = slice(0, 2)
    batch = SpeakerBatch(
        emotion=torch.from_numpy(test.emotion("speaker")[k]), threedmm=torch.from_numpy(test.threedmm("speaker")[k]),
        audio=torch.zeros(2, 1), indices=torch.arange(2),
        features={spec.name: torch.from_numpy(test.features(spec, "speaker")[k]) for spec in sub.feature_specs()},
    )
    out = sub.generate(batch, num_samples=2, generator=torch.Generator().manual_seed(0))
    assert out.emotion.shape == (2, 2, test.clip_frames, 25) and torch.isfinite(out.threedmm).all()


def test_same_seed_same_weights(synthetic_root):
    """Both stages are seeded: two fits with one seed give identical weights (different seeds do not)."""
    train, val = ReactDataset(synthetic_root, "train"), ReactDataset(synthetic_root, "val")
    states = []
    for seed in (3, 3, 4):
        sub = ReactDiffSubmission(**TINY)
        sub.fit(train, val=val, seed=seed)
        states.append(sub.model.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert not torch.equal(states[0]["unet.inp.weight"], states[2]["unet.inp.weight"])


def test_train_command_rejects_unknown_models_and_presets(tmp_path):
    from react_bench.cli.main import main

    assert main(["train", "mime", "--data", str(tmp_path)]) == 2
    assert main(["train", "reactdiff", "--config", "huge", "--data", str(tmp_path)]) == 2


def test_both_stages_validate_every_fifth_epoch_and_the_last(synthetic_root, monkeypatch):
    from react_bench.models.reactdiff import train

    seen = {"stage1": [], "stage2": []}
    logged = []
    monkeypatch.setattr(train, "_val_stage1", lambda *a: seen["stage1"].append(1) or 1.0 / (len(seen["stage1"])))
    sub = ReactDiffSubmission(**{**TINY, "stage1_epochs": 7, "stage2_epochs": 6})
    model = sub.model
    ds_train, ds_val = ReactDataset(synthetic_root, "train"), ReactDataset(synthetic_root, "val")
    train.fit(model, ds_train, ds_val, seed=0, log=logged.append)
    stage1 = [line.split(":")[0] for line in logged if line.startswith("stage 1")]
    stage2 = [line.split(":")[0] for line in logged if line.startswith("stage 2 epoch")]
    assert len(seen["stage1"]) == 2 and stage1 == ["stage 1 epoch 5", "stage 1 epoch 7"]
    assert stage2 == ["stage 2 epoch 5", "stage 2 epoch 6"]
