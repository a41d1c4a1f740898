"""The PyO3 extension over host-core (``host-python/src``): what Python sees of it.

JSON crosses the boundary as text (``str``); each function says what the text holds.
"""

from collections.abc import Callable
from typing import Literal

#: The largest share of a service's entities of a type one run may soft-delete, by default.
DEFAULT_MAX_DELETE_SHARE: float
#: The environment variable that sets that share in every host.
MAX_DELETE_SHARE_ENV: str
#: The kinds of entity an owner may be, in the order a name is looked up.
OWNER_TYPES: list[str]

class PluginError(Exception):
    """A plugin failed, or could not be loaded or used."""

class ConfigError(ValueError):
    """A source block that a plugin refuses: ``args[0]`` the message, ``args[1]`` the problems
    as (field path, message)."""

class Plugin:
    @property
    def connector_type(self) -> str: ...
    @property
    def service_kind(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def manifest(self) -> str:
        """The plugin's manifest (JSON)."""
    def schema(self) -> str:
        """The JSON Schema of the plugin's configuration (the workflow's ``source`` block)."""
    def secret_keys(self) -> list[str]: ...
    def check(self, source: str) -> list[tuple[str, str]]:
        """Every problem of a ``source`` block (JSON), as (JSON pointer, message)."""
    def resolve_secrets(self, source: str, server: str) -> str:
        """The ``source`` block (JSON) with its ``secret:`` references resolved through the
        secrets manager ``server`` (JSON) names."""
    def test_connection(self, source: str, level: int = 3) -> str:
        """The plugin's test-connection report (JSON)."""
    def open(self, source: str, level: int = 3) -> Run: ...

class PluginDir:
    @property
    def path(self) -> str: ...
    @property
    def plugins(self) -> list[Plugin]: ...
    @property
    def skipped(self) -> list[tuple[str, str]]:
        """Files that are not compatible plugins, as (path, reason)."""
    def find(self, connector_type: str) -> Plugin | None: ...

def load_plugins(path: str) -> PluginDir: ...

class Record:
    """One record of a run: its kind (``entity``, ``sampleData``, …), the entity type and FQN
    parts it is for, and its body (JSON)."""

    kind: str
    entity_type: str
    fqn: list[str]
    body: str

class Run:
    def next(self, timeout: float = 0.2) -> Record | None:
        """The next record; ``None`` when none came within ``timeout`` seconds. Raises
        StopIteration at the end, PluginError when the plugin failed."""
    def close(self) -> str | None:
        """Stops the run; the warning to give when the plugin did not stop in time."""

class Step:
    """One step of a plan; ``kind`` says which attributes it has: ``write`` (``entity_type``,
    ``fqn``, and JSON texts ``body``, ``labels`` and ``sample`` when there are some), ``failed``
    (``name``, ``message``), ``error`` and ``warning`` (``message``)."""

    kind: Literal["write", "failed", "error", "warning"]
    entity_type: str | None
    fqn: str | None
    body: str | None
    labels: str | None
    sample: str | None
    name: str | None
    message: str | None

class Plan:
    def __init__(self, service_name: str, writable: list[str], declared: list[str]) -> None: ...
    def take(self, record: Record) -> list[Step]: ...
    def end(self) -> list[Step]: ...
    def add_stored_page(self, entity_type: str, page: str) -> str | None:
        """Takes one page of the service's listing (JSON); the next page's cursor."""
    def has_owners(self, entity_type: str, fqn: str) -> bool | None: ...
    def edge_worth_reading(self, ends: list[tuple[str, str]]) -> bool:
        """Whether an edge between these ends (entity type, id) is worth reading before it is
        written: not when an end is an entity this run made."""
    def unchanged(self, entity_type: str, fqn: str, body: str) -> bool: ...
    def progress(self) -> str | None: ...
    def take_lineage(self) -> list[str]: ...
    def finish(self, quiet: bool) -> Finish:
        """Takes the listing statuses in (``quiet``: no error so far): the run's end."""

class TypeOutcome:
    """What became of one entity type in a run."""

    entity_type: str
    #: FQNs of the entities written.
    written: list[str]
    #: FQNs of entities that exist but could not be read, or are not entities yet: never deleted.
    kept: list[str]
    #: Entities not sent: OpenMetadata already held what their request says.
    unchanged: int
    #: The plugin's listing status; ``None`` when it sent none.
    listed: int | None
    filtered: int | None
    complete: bool

class Finish:
    """The end of a run's records."""

    #: What failed the run as a whole.
    errors: list[str]
    #: Objects that exist but could not be read, as (name, why).
    failed: list[tuple[str, str]]
    warnings: list[str]
    #: Source API calls by operation, as the plugin counted them.
    api_calls: dict[str, int]
    #: Records of kinds this package does not know, by kind.
    skipped: dict[str, int]
    types: list[TypeOutcome]
    @property
    def api_calls_said(self) -> str | None:
        """The API calls as a summary says them (``ListStreams 3, …``); ``None`` when none was made."""

class Translated:
    @property
    def source(self) -> str:
        """The plugin's source block (JSON)."""
    def user_path(self, pointer: str) -> str:
        """Where the user wrote what ``pointer`` (in the plugin's block) names."""

def translate(om_source: str, schema: str, om_defaults: str) -> Translated: ...
def listing_fields(entity_type: str) -> str: ...
def may_delete(
    plural: str,
    type_info: str,
    source: str,
    interrupted: str | None,
    listing_complete: bool,
    failures: int,
) -> str | None: ...
def stale(
    plural: str, existing: list[str], seen: list[str], max_share: float, allow: str
) -> tuple[list[int], str | None]: ...
def secret_keys(schema: str) -> list[str]: ...
def redact(value: str, keys: list[str]) -> str: ...
def without_secrets(value: str, keys: list[str]) -> str: ...
def contract_version() -> str: ...
def fqn(parts: list[str]) -> str:
    """A fully qualified name of ``parts``, each quoted where it holds a ``.``."""

def choose_owner(
    fqn: str,
    names: list[str],
    has_owners: bool,
    find: Callable[[str], str | None],
    lookup_errors: tuple[type[BaseException], ...],
) -> tuple[Literal["kept", "set", "not found", "failed"], str | None, str | None]:
    """The owner policy: what to do, the owner reference to set (JSON), the warning to give.
    ``find`` looks a name up (a user, else a team: a reference as JSON, or None); an exception
    of ``lookup_errors`` is a failed look-up, any other is raised."""

def lineage_edge_held(request: str, stored: str) -> bool:
    """Whether the stored edge (``getLineageEdge``'s answer, JSON) already holds what the
    AddLineageRequest (JSON) would write."""

def tag_requests(tag: str) -> tuple[str, str, str]:
    """A tag a labels record names (JSON) as its TagLabel, and the bodies of the requests that
    make its classification and itself when missing (each JSON)."""

def drain_logs() -> tuple[list[tuple[int, str, str]], int]:
    """The plugins' log events since the last call, as (level, target, message), and how many
    were dropped."""
