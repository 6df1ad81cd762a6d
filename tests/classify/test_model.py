"""IntentModel: two feature blocks (normalized text, raw cues), two heads, an .npz round trip."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from router.classify.model import IntentModel

CLASSES = ("other", "refund", "wismo.status")


def tiny_model() -> IntentModel:
    """Three text features, two cues, three classes plus the binary WISMO column."""
    weights = np.array(
        [
            # other refund wismo.status | binary
            [0.10, -0.20, 0.90, 1.20],  # w:where
            [0.00, 0.30, 0.60, 0.80],  # w:order
            [-0.10, 1.50, -0.40, -1.30],  # w:refund
            [-0.50, -0.25, 2.00, 2.50],  # r:wismo.status (cue)
            [0.25, 1.75, -1.00, -2.00],  # r:refund (cue)
        ],
        dtype=np.float32,
    )
    return IntentModel(
        vocabulary={"w:where": 0, "w:order": 1, "w:refund": 2},
        idf=np.array([1.0, 2.0, 1.5], dtype=np.float32),
        cue_vocabulary={"r:wismo.status": 3, "r:refund": 4},
        weights=weights,
        intercept=np.array([0.5, -0.25, 0.0, -0.75], dtype=np.float32),
        classes=CLASSES,
        temperature=2.0,
        wismo_temperature=0.5,
        metadata={"version": "test", "wismo_threshold": 0.5, "ngram_sizes": []},
    )


def expected_logits(
    model: IntentModel, counts: dict[str, int], cue_rows: tuple[int, ...] = ()
) -> npt.NDArray[np.float64]:
    """The documented formula, written out: sublinear tf x idf, L2-normalized, plus raw cues."""
    scores = model.intercept.astype(np.float64)
    if counts:
        index = [model.vocabulary[f] for f in counts]
        values = np.array(
            [(1 + math.log(n)) * float(model.idf[i]) for i, n in zip(index, counts.values())]
        )
        values /= np.linalg.norm(values)
        scores = scores + values @ model.weights[index].astype(np.float64)
    for row in cue_rows:
        scores = scores + model.weights[row].astype(np.float64)
    return scores


def softmax(values: npt.NDArray[np.float64]) -> list[float]:
    exp = np.exp(values - values.max())
    return [float(v) for v in exp / exp.sum()]


def test_logits_follow_the_formula() -> None:
    model = tiny_model()
    got = model.logits(["w:where", "w:order", "w:order"], ("r:refund",))
    want = expected_logits(model, {"w:where": 1, "w:order": 2}, (4,))
    assert got.shape == (4,)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_no_features_gives_the_intercept() -> None:
    model = tiny_model()
    np.testing.assert_array_equal(model.logits([]), model.intercept)


def test_predict_probabilities_sum_to_one_and_follow_the_temperatures() -> None:
    model = tiny_model()
    features = ["w:where", "w:order", "w:refund"]
    probabilities, wismo = model.predict(features, ("r:wismo.status",))
    logits = expected_logits(model, {"w:where": 1, "w:order": 1, "w:refund": 1}, (3,))
    assert probabilities.shape == (3,)
    assert float(probabilities.sum()) == pytest.approx(1.0, abs=1e-6)
    assert [float(p) for p in probabilities] == pytest.approx(
        softmax(logits[:-1] / model.temperature), abs=1e-6
    )
    assert wismo == pytest.approx(
        1 / (1 + math.exp(-float(logits[-1]) / model.wismo_temperature)), abs=1e-6
    )


@pytest.mark.parametrize(
    ("features", "cue_names"),
    [
        ([], ()),
        (["w:where"], ()),
        (["w:refund"] * 7, ("r:refund",)),
        (["w:where", "w:order"], ("r:wismo.status", "r:refund")),
    ],
)
def test_probabilities_are_a_distribution(features: list[str], cue_names: tuple[str, ...]) -> None:
    probabilities, wismo = tiny_model().predict(features, cue_names)
    assert float(probabilities.sum()) == pytest.approx(1.0, abs=1e-6)
    assert all(0.0 <= float(p) <= 1.0 for p in probabilities)
    assert 0.0 < wismo < 1.0


def test_binary_head_at_zero_logit_is_one_half() -> None:
    model = tiny_model()
    model.intercept[-1] = 0.0
    _, wismo = model.predict([])
    assert wismo == 0.5


def test_unknown_features_and_cues_are_ignored() -> None:
    model = tiny_model()
    base = model.logits(["w:where", "w:order"], ("r:refund",))
    noisy = model.logits(
        ["w:where", "w:zebra", "w:order", "b:never seen", "xyz"], ("r:refund", "c:unknown")
    )
    np.testing.assert_array_equal(base, noisy)
    np.testing.assert_array_equal(model.logits(["w:nothing", "w:known"]), model.intercept)


def test_repeated_cues_count_once() -> None:
    model = tiny_model()
    np.testing.assert_array_equal(
        model.logits([], ("r:refund", "r:refund", "r:refund")), model.logits([], ("r:refund",))
    )


def test_text_block_is_l2_normalized() -> None:
    model = tiny_model()
    # One feature, whatever its count: the unit vector along it.
    one = model.logits(["w:refund"])
    for n in (2, 10, 500):
        np.testing.assert_allclose(model.logits(["w:refund"] * n), one, rtol=1e-6)
    np.testing.assert_allclose(one, model.intercept + model.weights[2], rtol=1e-6)
    # The same mix of features at every length: the same text contribution.
    short = model.logits(["w:where", "w:order"])
    long = model.logits(["w:where", "w:order"] * 50)
    np.testing.assert_allclose(short, long, rtol=1e-6)


def test_cue_block_is_not_normalized() -> None:
    """A cue adds its full weight row to the scores, in a short text as in a long one."""
    model = tiny_model()
    cue_row = model.weights[3]
    texts: list[list[str]] = [
        [],
        ["w:where"],
        ["w:where", "w:order", "w:refund"],
        ["w:where", "w:order", "w:refund"] * 200 + ["w:order"] * 300,
    ]
    for features in texts:
        with_cue = model.logits(features, ("r:wismo.status",))
        without = model.logits(features)
        np.testing.assert_allclose(with_cue - without, cue_row, rtol=1e-5, atol=1e-6)
    two = model.logits([], ("r:wismo.status", "r:refund")) - model.intercept
    np.testing.assert_allclose(two, model.weights[3] + model.weights[4], rtol=1e-6)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = tiny_model()
    model.weights[0, 0] = 0.123456789  # not exact in float16
    path = tmp_path / "intent.npz"
    model.save(path)
    loaded = IntentModel.load(path)
    assert loaded.vocabulary == model.vocabulary
    assert loaded.cue_vocabulary == model.cue_vocabulary
    assert loaded.classes == CLASSES
    assert loaded.temperature == 2.0
    assert loaded.wismo_temperature == 0.5
    assert loaded.metadata == model.metadata
    np.testing.assert_array_equal(loaded.idf, model.idf)
    np.testing.assert_array_equal(loaded.intercept, model.intercept)
    assert loaded.weights.dtype == np.float32
    assert loaded.weights.shape == model.weights.shape
    # Weights are stored as float16: close, not exact.
    np.testing.assert_allclose(loaded.weights, model.weights, rtol=1e-3, atol=1e-3)
    assert not np.array_equal(loaded.weights, model.weights)
    features, cue_names = ["w:where", "w:refund"], ("r:refund",)
    p_saved, w_saved = model.predict(features, cue_names)
    p_loaded, w_loaded = loaded.predict(features, cue_names)
    np.testing.assert_allclose(p_loaded, p_saved, atol=1e-3)
    assert w_loaded == pytest.approx(w_saved, abs=1e-3)


def test_saved_file_needs_no_pickle(tmp_path: Path) -> None:
    path = tmp_path / "intent.npz"
    tiny_model().save(path)
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == [
            "classes",
            "idf",
            "intercept",
            "metadata",
            "temperature",
            "terms",
            "text_features",
            "weights",
            "wismo_temperature",
        ]
        assert data["weights"].dtype == np.float16
        assert int(data["text_features"]) == 3
        assert str(data["terms"]).split("\n") == [
            "w:where",
            "w:order",
            "w:refund",
            "r:wismo.status",
            "r:refund",
        ]
