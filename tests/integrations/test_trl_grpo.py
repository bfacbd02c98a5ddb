"""A real TRL ``GRPOTrainer`` run of two steps whose rewards come from the running Referee service.

The model is a tiny randomly initialised Llama built from a config, with a tokenizer trained here
(no hub access). Needs the ``dev`` extra (CPU torch, trl, transformers, datasets), which ``make test``
installs; without it the test fails, naming what to install.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.integrations.trl import reward_funcs

pytestmark = [
    pytest.mark.slow,
    # third-party deprecation notices of transformers/trl are not Referee's to fix
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

try:
    import datasets
    import torch
    import transformers
    import trl
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise RuntimeError(f"the TRL test needs the dev extra (pip install -e '.[dev]'): {exc}") from exc

PROMPTS = [f"Compute {a} plus {b}. Answer:" for a, b in [(1, 2), (2, 2), (3, 4), (5, 1)]]
SOLUTIONS = ["3", "4", "7", "6"]


def _tokenizer(directory: Path) -> transformers.PreTrainedTokenizerFast:
    corpus = PROMPTS + ["<think> one two three </think> \\boxed{3} \\boxed{4} \\boxed{7} \\boxed{6}"] * 4
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]", "[EOS]"]))
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    fast.save_pretrained(directory)
    return fast


def test_grpo_trainer_runs_two_steps_with_referee_rewards(server: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    tokenizer = _tokenizer(tmp_path / "tokenizer")
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = transformers.LlamaForCausalLM(config)
    dataset = datasets.Dataset.from_dict({"prompt": PROMPTS, "solution": SOLUTIONS})
    args = trl.GRPOConfig(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        max_steps=2,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        bf16=False,
        save_strategy="no",
    )
    functions = reward_funcs({"accuracy": 1.0, "format": 0.5}, url=server)
    trainer = trl.GRPOTrainer(
        model=model, reward_funcs=functions, args=args, train_dataset=dataset, processing_class=tokenizer
    )
    trainer.train()
    logs = [entry for entry in trainer.state.log_history if "reward" in entry]
    assert trainer.state.global_step == 2 and len(logs) == 2
    keys = set().union(*logs)
    assert any("referee_accuracy" in key for key in keys) and any("referee_format" in key for key in keys)
