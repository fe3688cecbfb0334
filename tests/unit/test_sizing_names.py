"""Every model the sample notes or the seed name is in the catalog, and "GPT-4级别" is not a model."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyapp.core.sizing.catalog import NotATransformerError, load_catalog
from studyapp.core.sizing.lint import lint_text
from studyapp.core.sizing.params import count_params

REPO = Path(__file__).resolve().parents[2]
CAT = load_catalog()

#: Model names as the notes and the seed write them (found with grep over notes/ and the seed);
#: each must occur in that text and resolve to catalog ids.
NAMED = {
    "GPT-3": ("gpt-3-175b",),
    "Phi-2": ("phi-2",),
    "Phi-3-mini": ("phi-3-mini",),
    "Phi-3.5-mini-instruct": ("phi-3.5-mini",),
    "Whisper-tiny": ("whisper-tiny",),
    "Mixtral-8x7B": ("mixtral-8x7b",),
    "LLaMA-3-70B": ("llama-3-70b",),
    "Llama-3-8B": ("llama-3-8b",),
    "Meta-Llama-3-8B-Instruct": ("llama-3-8b",),
    "Llama-2-7B": ("llama-2-7b",),
    "Llama-3.1-8B": ("llama-3.1-8b",),
    "Llama-3.1-70B": ("llama-3.1-70b",),
    "Llama-3.1-405B": ("llama-3.1-405b",),
    "Mistral-7B": ("mistral-7b",),
    "Qwen2.5-7B": ("qwen2.5-7b",),
    "TinyLlama-1.1B": ("tinyllama-1.1b",),
    "DeepSeek-V3": ("deepseek-v3",),
    "Llama-3": ("llama-3-8b", "llama-3-70b"),  # "Llama-3 词表有 128256 个词": the family
    "Sheared-LLaMA": ("sheared-llama-1.3b", "sheared-llama-2.7b"),
    "Minitron": ("minitron-4b", "minitron-8b"),
    "MobileNet": ("mobilenet-v2",),
    "EfficientNet": ("efficientnet-b0",),
}


def _corpus(seed_note: Path) -> str:
    notes = "\n".join(p.read_text("utf-8") for p in sorted((REPO / "notes").rglob("*.md")))
    return notes + "\n" + seed_note.read_text("utf-8")


def test_every_named_model_resolves(seed_note: Path) -> None:
    text = _corpus(seed_note)
    for name, ids in NAMED.items():
        assert name in text, name  # the list is what the notes say, not a wish list
        assert CAT.resolve_name(name) == ids, name


def test_gpt4_is_not_a_model(seed_note: Path) -> None:
    assert "GPT-4级别" in _corpus(seed_note)
    assert CAT.resolve_name("GPT-4") == ()
    findings = lint_text("案例：云端对话服务（GPT-4级别）FP16 需要 350GB")
    assert findings and all(f.verdict == "not checked" for f in findings), findings


@pytest.mark.parametrize(
    ("model_id", "total"),
    [
        # Sheared-LLaMA (arXiv:2310.06694): "1.3B" and "2.7B"; Minitron (arXiv:2407.14679): "4B", "8B"
        ("sheared-llama-1.3b", 1_345_423_360),
        ("sheared-llama-2.7b", 2_701_560_320),
        ("minitron-4b", 4_190_509_056),
        ("minitron-8b", 8_271_699_968),
    ],
)
def test_added_transformers_reproduce_their_published_size(model_id: str, total: int) -> None:
    model = CAT.model(model_id)
    counted = count_params(model).total
    assert counted == total  # the config count, term by term (pinned so a config edit shows)
    assert abs(counted - model.published_params) / model.published_params <= model.published_rel_tol


def test_minitron_mlp_is_ungated_and_its_vocabulary_dominates() -> None:
    # relu2 MLP: up + down only (2*h*I), and a 256K vocabulary untied: 2*V*h = 1.57e9 of 4.19e9
    m = CAT.model("minitron-4b")
    assert m.get("mlp") == "plain"
    assert count_params(m).embedding == 2 * 256_000 * 3072


@pytest.mark.parametrize(
    ("name", "params"), [("MobileNetV2", 3_504_872), ("EfficientNet-B0", 5_288_548)]
)
def test_cnns_are_count_only_and_refused_by_the_transformer_formulas(
    name: str, params: int
) -> None:
    (entry_id,) = CAT.resolve_name(name)
    entry = CAT.param_only[entry_id]
    assert entry.architecture == "cnn" and entry.published_params == params
    assert entry.weight_bytes(32) == params * 4  # FP32 checkpoint: the one size a count gives
    assert entry_id not in CAT.models  # never iterated by calc cards, the lint or the engine
    with pytest.raises(NotATransformerError, match="not a transformer"):
        CAT.model(name)


def test_size_command_refuses_a_cnn_with_its_count(capsys: pytest.CaptureFixture[str]) -> None:
    from studyapp.cli.main import main

    assert main(["size", "EfficientNet-B0", "--format", "fp16"]) == 2  # an error, no traceback
    err = capsys.readouterr().err
    assert "not a transformer" in err and "5,288,548" in err
