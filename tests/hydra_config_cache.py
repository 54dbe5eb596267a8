"""The tests' Hydra composition without reading the same YAML files hundreds of times: each config Hydra loads from
the repository's conf/ or from Hydra's own packaged and structured configs is read and parsed once per test process,
and every composition gets a deep copy of it. The composed configs are those of Hydra without the cache
(tests/test_config.py compares them), and what one test changes in its config reaches no other.

Why: composition was a quarter of the fast tests' time in a profile (docs/benchmarks.md), four tenths of it Hydra
reading and parsing the same files again for each of the ~330 compositions. Hydra caches loaded configs only within
one composition (its CachingConfigRepository); this widens that to the process through Hydra's private
ConfigRepository, the one place the tests touch Hydra's internals: if Hydra moves it, the import below fails every
test that composes, and test_config.py checks the cache against uncached composition.
"""

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager

from hydra._internal.config_repository import ConfigRepository
from hydra.plugins.config_source import ConfigResult, ConfigSource

from gansuite.conf_dir import CONFIG_DIR

HYDRA_LOAD_CONFIG = ConfigRepository.load_config
# Configs that cannot change during a test session: the repository's conf/ (reached as conf/ or through the
# package's link to it) and what Hydra and its plugins ship (pkg:// and structured:// sources). A composition that
# searches a folder a test writes (hydra.searchpath) reads every config from its files.
CONSTANT_FOLDER = os.path.realpath(CONFIG_DIR)
LOADED: dict[tuple[tuple[str, ...], str], ConfigResult | None] = {}
BYPASSED = [False]  # hydra_without_cache's switch


def constant(source: ConfigSource) -> bool:
    return source.scheme() != "file" or os.path.realpath(source.path) == CONSTANT_FOLDER


def load_config_once(repository: ConfigRepository, config_path: str) -> ConfigResult | None:
    """ConfigRepository.load_config, from memory after the first time when every source searched is constant."""
    sources = repository.get_sources()
    if BYPASSED[0] or not all(constant(source) for source in sources):
        return HYDRA_LOAD_CONFIG(repository, config_path)
    key = (tuple(source.full_path() for source in sources), config_path)
    if key not in LOADED:
        LOADED[key] = HYDRA_LOAD_CONFIG(repository, config_path)
    return copy.deepcopy(LOADED[key])


def keep_loaded_configs() -> None:
    """Installs the cache (idempotent)."""
    ConfigRepository.load_config = load_config_once


@contextmanager
def hydra_without_cache() -> Iterator[None]:
    """Hydra's own loading, for the test that compares the two."""
    BYPASSED[0] = True
    try:
        yield
    finally:
        BYPASSED[0] = False
