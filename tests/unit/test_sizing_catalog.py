"""Catalog data and parameter counts against published figures."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from studyapp.core.sizing.catalog import UnknownIdError, load_catalog
from studyapp.core.sizing.params import count_params

CAT = load_catalog()


@pytest.mark.parametrize("model_id", sorted(CAT.models))
def test_param_count_matches_published(model_id: str) -> None:
    model = CAT.models[model_id]
    total = count_params(model).total
    if model.published_rel_tol == 0:
        assert total == model.published_params
    else:
        assert (
            abs(total - model.published_params) / model.published_params <= model.published_rel_tol
        )


def test_llama3_8b_exact_and_mixtral_active() -> None:
    assert count_params(CAT.model("llama-3-8b")).total == 8_030_261_248
    mixtral = count_params(CAT.model("mixtral-8x7b"))
    assert mixtral.total == 46_702_792_704
    assert abs(mixtral.active - 12.9e9) / 12.9e9 < 0.005
    assert mixtral.experts == 32 * 8 * 3 * 4096 * 14336


def test_whisper_tiny_counts_the_encoder_decoder_checkpoint() -> None:
    # Hugging Face checkpoint tally; the paper's "39M" is within 4%.
    assert count_params(CAT.model("whisper-tiny")).total == 37_760_640


def test_every_number_has_a_source() -> None:
    data = resources.files("studyapp.core.sizing").joinpath("data")
    for name in ("models.json", "hardware.json", "formats.json", "profiles.json"):
        doc = json.loads(data.joinpath(name).read_text("utf-8"))
        entries = next(v for k, v in doc.items() if isinstance(v, list))
        for entry in entries:
            assert any("source" in key and entry[key] for key in entry), (name, entry["id"])
    for device in CAT.devices.values():
        assert device.price_source
        if device.bw_is_estimate:
            assert "ESTIMATE" in device.source


def test_lookup_is_case_insensitive_with_aliases() -> None:
    assert CAT.model("Llama3-8B").id == "llama-3-8b"
    assert CAT.format("BF16").id == "fp16"
    assert CAT.format("Q4_K_M").id == "q4_k_m"
    assert CAT.device("A100").id == "a100-80gb"
    assert CAT.device("iPhone 15 Pro").id == "iphone-15-pro"


def test_unknown_id_lists_close_matches() -> None:
    with pytest.raises(UnknownIdError) as info:
        CAT.model("lama-3-8b")
    assert "llama-3-8b" in info.value.matches
    assert "did you mean" in str(info.value)


def test_format_bits_per_weight() -> None:
    assert CAT.format("int4").bpw == pytest.approx(4 + (16 + 4) / 128)
    assert CAT.format("q4_0").bpw == 18 * 8 / 32
    assert CAT.format("q8_0").bpw == 34 * 8 / 32
    assert CAT.format("int4-e16").embed_bpw == 16
