"""Which LM a run uses: the built-in offline one, or a real provider.

API keys stay in the environment: they are never passed to DSPy, stored or logged here.
DSPy's provider layer reads them from the environment itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # dspy costs ~0.7 s to import: only the runner pays for it
    import dspy

    from tutor.lm.offline import OfflineAnswerer

OFFLINE = "offline"

KEY_ENV_VARS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "groq": "GROQ_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "xai": "XAI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
}
_OLLAMA = {"ollama", "ollama_chat"}


@dataclass
class LMSettings:
    model: str = OFFLINE  # "offline", or "provider/name" e.g. "openai/gpt-4o-mini"
    api_base: str | None = None


def provider_of(model: str) -> str:
    """The provider prefix; a bare name is OpenAI's, as in DSPy."""
    if model == OFFLINE:
        return OFFLINE
    return model.split("/", 1)[0] if "/" in model else "openai"


def missing_key(settings: LMSettings) -> str | None:
    """A message naming the environment variable to set, or None when nothing is missing."""
    var = KEY_ENV_VARS.get(provider_of(settings.model))
    if var is None or os.environ.get(var):
        return None
    return f"{settings.model} needs an API key: set {var} in the environment and restart."


def build_lm(settings: LMSettings, answerer: OfflineAnswerer) -> dspy.LM:
    import dspy

    from tutor.lm.offline import make_offline_lm

    if settings.model == OFFLINE:
        return make_offline_lm(answerer)
    # Without this, LiteLLM's first call fetches a cost map from the internet.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    if settings.api_base is None:
        return dspy.LM(settings.model)
    return dspy.LM(settings.model, api_base=_api_base(settings))


def _api_base(settings: LMSettings) -> str:
    base = (settings.api_base or "").rstrip("/")
    # Ollama's OpenAI-compatible endpoints live under /v1; DSPy does not add it.
    if provider_of(settings.model) in _OLLAMA and not base.endswith("/v1"):
        base += "/v1"
    return base


def describe(settings: LMSettings) -> str:
    if settings.model == OFFLINE:
        return "offline (built-in)"
    if settings.api_base:
        return f"{settings.model} at {settings.api_base}"
    return settings.model
