"""The plugins as OpenMetadata ``Source`` steps: a run's records become OpenMetadata's own request
models, written by OpenMetadata's own sink (``metadata-rest``), counted in its status.

Before the run, what OpenMetadata holds for the service is read once, a paged listing per entity
type (``host_core::converge``): each request is merged with its stored entity (an inferred
message schema keeps the stored fields, a retyped field carries what people wrote), and one the
server already holds is not sent. Per entity: its create request (topics buffered and written in
bulk by the sink), its tags and owner (``labels``), then, after a ``Barrier`` has flushed the
sink's buffer, its sample data.
After the listing: lineage between entities that exist (missing ends skipped and named), then
stale entities soft-deleted (``DeleteEntity``), only after a complete listing, a run without
failures, with every entity of the run found in OpenMetadata, and never more than
``maxDeleteShare`` of the service's entities: the decision is ``host_core::deletion``'s, the one
host-example makes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from metadata.generated.schema.api.lineage.addLineage import AddLineageRequest
from metadata.generated.schema.metadataIngestion.workflow import Source as WorkflowSource
from metadata.generated.schema.type.entityLineage import EntitiesEdge, LineageDetails
from metadata.generated.schema.type.entityLineage import Source as LineageSource
from metadata.generated.schema.type.entityReference import EntityReference
from metadata.ingestion.api.models import Either, StackTraceError
from metadata.ingestion.api.step import WorkflowFatalError
from metadata.ingestion.api.steps import Source
from metadata.ingestion.models.barrier import Barrier
from metadata.ingestion.models.delete_entity import DeleteEntity
from metadata.ingestion.ometa.client import APIError
from metadata.ingestion.ometa.ometa_api import OpenMetadata
from metadata.utils.logger import ingestion_logger

from openmetadata_plugins import _native, config
from openmetadata_plugins.connectors import CONNECTORS
from openmetadata_plugins.entities import ENTITY_TYPES, SERVICE_KINDS, EntityType, fqn_of
from openmetadata_plugins.labels import LOOKUP_ERRORS, Labels

logger = ingestion_logger()

#: Sample data waits for this many entities before a Barrier flushes the sink's buffer, so that
#: topics are still written in bulk and samples are held for a bounded number of entities.
SAMPLES_PER_BARRIER = 50

#: What a topic model needs for its sample data to be written (its id, names and service).
TOPIC_KEYS = ("id", "name", "fullyQualifiedName", "service", "partitions")

#: Seconds between two progress lines in the log.
PROGRESS_EVERY = 5.0

#: The largest share of a service's entities of a type that one run may soft-delete.
MAX_DELETE_SHARE_FIELD = "maxDeleteShare"


@dataclass
class TypeState:
    """What a run did with one entity type: the plan's outcome (at the end), the samples
    written, and what became of the unseen entities."""

    entity: EntityType
    outcome: _native.TypeOutcome | None = None
    samples: int = 0
    deletion: str = ""

    @property
    def written(self) -> list[str]:
        """FQNs of the entities written this run."""
        return self.outcome.written if self.outcome else []

    @property
    def kept(self) -> list[str]:
        """FQNs of entities that exist but could not be read, or are not entities yet: never deleted."""
        return self.outcome.kept if self.outcome else []

    @property
    def complete(self) -> bool:
        """The plugin listed this type completely (a run with errors never counts as complete)."""
        return bool(self.outcome and self.outcome.complete)


def max_delete_share(connection: dict) -> float:
    """``maxDeleteShare`` of the connection (a field or a connection option), else
    ``$OM_MAX_DELETE_SHARE``, else host-core's default (0.75); a value outside 0–1 is refused,
    naming its field."""
    options = connection.get("connectionOptions") or {}
    for where, value in (
        (f"serviceConnection.config.{MAX_DELETE_SHARE_FIELD}", connection.get(MAX_DELETE_SHARE_FIELD)),
        (f"serviceConnection.config.connectionOptions.{MAX_DELETE_SHARE_FIELD}", options.get(MAX_DELETE_SHARE_FIELD)),
        (f"${_native.MAX_DELETE_SHARE_ENV}", os.environ.get(_native.MAX_DELETE_SHARE_ENV)),
    ):
        if value is None:
            continue
        try:
            share = float(value)
        except (TypeError, ValueError):
            share = -1.0
        if not 0.0 <= share <= 1.0:
            raise config.ConfigError(
                f"{where}: must be a number from 0 to 1", [(where, "must be a number from 0 to 1")]
            )
        return share
    return _native.DEFAULT_MAX_DELETE_SHARE


class PluginSource(Source):
    """Runs the plugin that the connection's ``plugin`` field names."""

    def __init__(self, config_dict: dict, metadata: OpenMetadata, pipeline_name: str | None = None):
        super().__init__()
        self.metadata = metadata
        self.config = WorkflowSource.model_validate(config_dict)
        self.service_connection = self.config.serviceConnection.root.config
        connection = config.to_json(config_dict.get("serviceConnection") or {}).get("config") or {}
        self.max_delete_share = max_delete_share(connection)
        server = config.secrets_manager_of(metadata)
        self.configured = config.configure(type(self).__name__, config_dict, server, logger)
        self.plugin = self.configured.plugin
        self.manifest = json.loads(self.plugin.manifest)
        self.kind = SERVICE_KINDS.get(self.plugin.service_kind)
        if self.kind is None:
            raise config.PluginError(
                f"the plugin's service kind '{self.plugin.service_kind}' is not one this package can write"
            )
        self.service_name = self.config.serviceName
        #: What the records mean (``host_core::plan``, the plan host-example follows too).
        self.plan = _native.Plan(
            self.service_name,
            list(ENTITY_TYPES),
            [info.get("entityType", "") for info in self.manifest.get("entityTypes") or []],
        )
        self.types: dict[str, TypeState] = {}
        self.samples: list[tuple[EntityType, str, dict]] = []
        self.labels = Labels(metadata)
        #: Topics as OpenMetadata listed them (their ``TOPIC_KEYS``), by FQN: the sample data of
        #: one not sent goes to its stored id without a read per topic.
        self.stored_topics: dict[str, dict] = {}
        #: What failed the run as a whole: the plugin, a listing; the workflow fails with them.
        self.run_errors: list[str] = []

    @classmethod
    def create(cls, config_dict: dict, metadata: OpenMetadata, pipeline_name: str | None = None):
        return cls(config_dict, metadata, pipeline_name)

    def prepare(self):
        """Makes sure the service exists, as OpenMetadata's own sources do, with the connection
        stored without the values of its secret fields."""
        raw = self.config.model_dump()
        connection = raw["serviceConnection"]["config"]
        raw["serviceConnection"]["config"] = json.loads(
            _native.without_secrets(json.dumps(config.to_json(connection)), self.plugin.secret_keys())
        )
        stored = WorkflowSource.model_validate(raw)
        self.metadata.get_service_or_create(entity=self.kind.service_class, config=stored)

    def test_connection(self) -> None:
        from metadata.ingestion.connections.test_connections import raise_test_connection_exception

        from openmetadata_plugins.connection import run_steps

        raise_test_connection_exception(run_steps(self.metadata, self.service_connection))

    @property
    def name(self) -> str:
        return self.plugin.connector_type

    def close(self) -> None:
        config.forward_logs(logger)

    # ---- the run

    def _read_stored(self) -> None:
        """What OpenMetadata holds for the service, a paged listing per entity type the plugin
        yields, read before anything is written; raises ``PluginError`` (naming the page) when a
        listing cannot be read, so that nothing is written unmerged."""
        for info in self.manifest.get("entityTypes") or []:
            entity = ENTITY_TYPES.get(info.get("entityType", ""))
            if entity is None:
                continue
            path = self.metadata.get_suffix(entity.entity_class)
            after: str | None = None
            while True:
                params = {
                    "service": self.service_name,
                    "fields": _native.listing_fields(entity.entity_type),
                    "limit": "100",
                }
                if after:
                    params["after"] = after
                page = self.metadata.client.get(path, data=params)
                after = self.plan.add_stored_page(entity.entity_type, json.dumps(page))
                if entity.entity_type == "topic":
                    # What a sample write needs of the topic, not the whole of it.
                    for topic in page.get("data") or []:
                        self.stored_topics[topic["fullyQualifiedName"]] = {
                            k: topic[k] for k in TOPIC_KEYS if k in topic
                        }
                if not after:
                    break

    def _iter(self) -> Iterable[Either]:
        try:
            self._read_stored()
        except (_native.PluginError, APIError, ValueError) as err:
            message = f"cannot read what OpenMetadata holds for '{self.service_name}': {err}; nothing was written"
            self.run_errors.append(message)
            yield self._left(self.name, message)
            raise WorkflowFatalError(message) from err
        run = self.plugin.open(self.configured.source, config.python_level(logger))
        last_progress = time.monotonic()
        try:
            while True:
                config.forward_logs(logger)
                try:
                    item = run.next(0.2)
                except StopIteration:
                    break
                except _native.PluginError as err:
                    self.run_errors.append(str(err))
                    yield Either(left=StackTraceError(name=self.name, error=str(err), stackTrace=None))
                    break
                if item is None:
                    if time.monotonic() - last_progress >= PROGRESS_EVERY:
                        self._log_progress()
                        last_progress = time.monotonic()
                    continue
                for step in self.plan.take(item):
                    yield from self._do(step)
            for step in self.plan.end():
                yield from self._do(step)
        finally:
            not_stopped = run.close()
            if not_stopped:
                logger.warning(not_stopped)
            config.forward_logs(logger)
        yield from self._samples()
        if not self.run_errors:
            yield from self._lineage()
        yield from self._finish()
        if self.run_errors:
            # Failed as a whole, whatever the success percentage: as host-example's exit 1.
            raise WorkflowFatalError("; ".join(self.run_errors))

    def _log_progress(self) -> None:
        progress = self.plan.progress()
        if progress:
            p = json.loads(progress)
            done = "" if p.get("listingDone") else " so far"
            logger.info(
                f"{self.name}: listed {p.get('listed', 0)}{done}, filtered out {p.get('filtered', 0)}, "
                f"described {p.get('described', 0)}, sampled {p.get('sampled', 0)}"
            )

    def _do(self, step: _native.Step) -> Iterable[Either]:
        """Does one step of the plan."""
        if step.kind == "failed":
            yield self._left(step.name, step.message)
        elif step.kind == "error":
            self.run_errors.append(step.message)
            yield self._left(self.name, step.message)
        elif step.kind == "warning":
            logger.warning(step.message)
        elif step.kind == "write":
            body = json.loads(step.body)
            yield from self._write(ENTITY_TYPES[step.entity_type], step.fqn, body, step.labels, step.sample)

    def _left(self, name: str, error: str) -> Either:
        return Either(left=StackTraceError(name=name, error=error, stackTrace=None))

    def _state(self, entity: EntityType) -> TypeState:
        if entity.entity_type not in self.types:
            self.types[entity.entity_type] = TypeState(entity=entity)
        return self.types[entity.entity_type]

    def _write(
        self,
        entity: EntityType,
        fqn: str,
        body: dict,
        labels: str | None,
        sample: str | None,
    ) -> Iterable[Either]:
        """The entity's tags and owners onto its request, the request to the sink, its sample
        data waiting for the next Barrier."""
        if labels is not None:
            has_owners = self.plan.has_owners(entity.entity_type, fqn)
            yield from self.labels.apply(entity, fqn, json.loads(labels), body, has_owners)
        if self.plan.unchanged(entity.entity_type, fqn, json.dumps(body)):
            # OpenMetadata holds it as the request says: not sent. Its sample data still is
            # (kept apart from the entity, unversioned, and not in the listing).
            stored = self.stored_topics.get(fqn)
            if sample is not None and entity.sample_data is not None and stored is not None:
                try:
                    record = entity.sample_data(entity.entity_class.model_validate(stored), json.loads(sample))
                except ValueError as err:
                    yield self._left(fqn, f"sample data not written: not valid sample data: {err}")
                    return
                self._state(entity).samples += 1
                yield Either(right=record)
            return
        try:
            request = entity.create_request.model_validate(body)
        except ValueError as err:
            yield self._left(fqn, f"{entity.entity_type} not written: not a valid request: {err}")
            return
        yield Either(right=request)
        if sample is not None and entity.sample_data is not None:
            self.samples.append((entity, fqn, json.loads(sample)))
            if len(self.samples) >= SAMPLES_PER_BARRIER:
                yield from self._samples()

    # ---- sample data, lineage, the end of the run

    def _samples(self) -> Iterable[Either]:
        """Flushes the sink's buffer, then writes the waiting samples against the stored
        entities."""
        if not self.samples:
            return
        yield Either(right=Barrier(reason="sample data needs the stored entities"))
        waiting, self.samples = self.samples, []
        for entity, fqn, body in waiting:
            stored = self.metadata.get_by_name(entity=entity.entity_class, fqn=fqn)
            if stored is None:
                yield self._left(fqn, f"sample data not written: the {entity.entity_type} is not in OpenMetadata")
                continue
            try:
                record = entity.sample_data(stored, body)
            except ValueError as err:
                yield self._left(fqn, f"sample data not written: not valid sample data: {err}")
                continue
            self._state(entity).samples += 1
            yield Either(right=record)

    def _reference(self, end: dict, known: dict[tuple[str, str], EntityReference | None]) -> EntityReference | None:
        """The first candidate of a lineage end that exists in OpenMetadata, as host-example
        looks it up (``sink/lookup.rs``): candidates in order, each looked up once a run
        (``known``)."""
        entity = ENTITY_TYPES.get(end.get("type", ""))
        if entity is None:
            return None
        for parts in end.get("fqns") or []:
            key = (entity.entity_type, fqn_of(parts))
            if key not in known:
                found = self.metadata.get_by_name(entity=entity.entity_class, fqn=key[1])
                known[key] = None if found is None else EntityReference(id=found.id, type=entity.entity_type)
            if known[key] is not None:
                return known[key]
        return None

    def _lineage(self) -> Iterable[Either]:
        """Edges between entities that exist; an edge with a missing end is skipped and named
        (a warning), never created."""
        edges = [json.loads(edge) for edge in self.plan.take_lineage()]
        if not edges:
            return
        yield Either(right=Barrier(reason="lineage needs the stored entities"))
        added = unchanged = skipped = 0
        known: dict[tuple[str, str], EntityReference | None] = {}
        for edge in edges:
            ends = {}
            for role in ("from", "to", "pipeline"):
                if edge.get(role) is None:
                    continue
                ends[role] = self._reference(edge[role], known)
                if ends[role] is None:
                    candidates = " or ".join(fqn_of(p) for p in edge[role].get("fqns") or [])
                    missing = f"{edge[role].get('type')} {candidates}"
            if any(ref is None for ref in ends.values()):
                skipped += 1
                logger.warning(f"lineage edge skipped: {missing} is not in OpenMetadata")
                continue
            details = LineageDetails(
                pipeline=ends.get("pipeline"),
                description=edge.get("description"),
                source=LineageSource(edge["source"]) if edge.get("source") else None,
            )
            request = AddLineageRequest(
                edge=EntitiesEdge(fromEntity=ends["from"], toEntity=ends["to"], lineageDetails=details)
            )
            if self._edge_held(request):
                unchanged += 1
                continue
            added += 1
            yield Either(right=request)
        logger.info(f"lineage edges: {added} sent, {unchanged} unchanged, {skipped} skipped")

    def _edge_held(self, request: AddLineageRequest) -> bool:
        """Whether OpenMetadata already holds the edge as ``request`` would write it, read by its
        ends' ids (OpenMetadata lists no edges); a failed read is a doubt, and a doubt is a write."""
        edge = request.edge
        pipeline = edge.lineageDetails.pipeline
        ends = [edge.fromEntity, edge.toEntity] + ([pipeline] if pipeline else [])
        if not self.plan.edge_worth_reading([(end.type, str(end.id.root)) for end in ends]):
            return False
        stored = self.metadata.get_lineage_edge(str(edge.fromEntity.id.root), str(edge.toEntity.id.root))
        if stored is None:
            return False
        return _native.lineage_edge_held(request.model_dump_json(exclude_none=True), json.dumps(stored))

    def _finish(self) -> Iterable[Either]:
        """Takes the listing statuses (the plan's end), then deletes what is stale where the
        run may."""
        finish = self.plan.finish(not self.run_errors)
        for warning in finish.warnings:
            logger.warning(warning)
        for what, count in finish.skipped.items():
            logger.warning(f"skipped {count} record(s) of {what}: this package does not know it (a newer plugin?)")
        for name, why in finish.failed:
            yield self._left(name, why)
        for error in finish.errors:
            self.run_errors.append(error)
            yield self._left(self.name, error)
        for outcome in finish.types:
            self._state(ENTITY_TYPES[outcome.entity_type]).outcome = outcome
        if finish.api_calls_said is not None:
            logger.info(f"{self.name} API calls: {finish.api_calls_said}")
        for info in self.manifest.get("entityTypes") or []:
            entity = ENTITY_TYPES.get(info.get("entityType", ""))
            if entity is None:
                continue
            state = self._state(entity)
            yield from self._delete_stale(state, info)
            logger.info(self._type_summary(state))

    def _type_summary(self, state: TypeState) -> str:
        outcome, plural = state.outcome, state.entity.plural
        listed, filtered = (outcome.listed or 0, outcome.filtered or 0) if outcome else (0, 0)
        unchanged = outcome.unchanged if outcome else 0
        line = (
            f"{self.name} {plural}: listed {listed}, filtered out {filtered}, "
            f"written {len(state.written) - unchanged}, unchanged {unchanged}"
        )
        if state.entity.sample_data is not None:
            line += f", samples {state.samples}"
        return f"{line}, listing complete: {'yes' if state.complete else 'no'}; unseen {plural}: {state.deletion}"

    def _delete_stale(self, state: TypeState, info: dict) -> Iterable[Either]:
        kept = _native.may_delete(
            state.entity.plural,
            json.dumps(info),
            self.configured.source,
            None,
            state.complete and not self.run_errors,
            len(self.status.failures),
        )
        if kept is not None:
            state.deletion = kept
            return
        # Every entity of this run must be in OpenMetadata before anything is deleted: the sink
        # does not tell a source which writes failed, the server does.
        yield Either(right=Barrier(reason=f"flush before looking for stale {state.entity.plural}"))
        try:
            existing = list(
                self.metadata.list_all_entities(
                    entity=state.entity.entity_class, params={"service": self.service_name}, skip_on_failure=False
                )
            )
        except LOOKUP_ERRORS as err:
            state.deletion = f"kept: the service's {state.entity.plural} could not be listed: {err}"
            yield self._left(state.entity.plural, state.deletion)
            return
        names = [e.fullyQualifiedName.root for e in existing]
        missing = sorted(set(state.written) - set(names))
        if missing:
            state.deletion = (
                f"kept: {len(missing)} {state.entity.plural} of this run are not in OpenMetadata "
                f"(their writes failed?): {', '.join(missing[:10])}"
            )
            return
        indices, kept = _native.stale(
            state.entity.plural, names, state.written + state.kept, self.max_delete_share, MAX_DELETE_SHARE_FIELD
        )
        if kept is not None:
            state.deletion = kept
            if kept.startswith("kept"):
                logger.warning(kept)
            return
        for i in indices:
            yield Either(right=DeleteEntity(entity=existing[i], recursive=False))
        state.deletion = f"soft-deleted {len(indices)}: {', '.join(names[i] for i in indices)}"


# A class per connector this package carries (``connectors.CONNECTORS``), each a PluginSource
# whose connector type is fixed by its name.
for _connector in CONNECTORS:
    globals()[_connector.class_name] = type(
        _connector.class_name, (PluginSource,), {"__doc__": _connector.doc, "__module__": __name__}
    )
