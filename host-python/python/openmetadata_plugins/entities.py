"""OpenMetadata's models for the entity types and service kinds that plugins' records name:
one table, as host-example's `endpoints.rs` is for its REST calls."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from metadata.generated.schema.api.data.createContainer import CreateContainerRequest
from metadata.generated.schema.api.data.createPipeline import CreatePipelineRequest
from metadata.generated.schema.api.data.createTable import CreateTableRequest
from metadata.generated.schema.api.data.createTopic import CreateTopicRequest as GeneratedCreateTopicRequest
from metadata.generated.schema.entity.data.container import Container
from metadata.generated.schema.entity.data.pipeline import Pipeline
from metadata.generated.schema.entity.data.table import Table
from metadata.generated.schema.entity.data.topic import Topic, TopicSampleData
from metadata.generated.schema.entity.services.messagingService import MessagingService
from metadata.generated.schema.entity.services.pipelineService import PipelineService
from metadata.ingestion.models.ometa_topic_data import OMetaTopicSampleData

from openmetadata_plugins import _native


class CreateTopicRequest(GeneratedCreateTopicRequest):
    """OpenMetadata's CreateTopicRequest, with ``topicConfig`` the open map that the server's
    schema accepts: the generated Python model's ``TopicConfig`` declares no field and drops
    every key (a stream's ARN, status, capacity mode, encryption, retention hours…). Named as
    the generated class, since OpenMetadata's client routes requests by class name."""

    topicConfig: dict[str, Any] | None = None


@dataclass(frozen=True)
class EntityType:
    entity_type: str
    plural: str
    entity_class: type
    create_request: type
    #: The sink's record for an entity's sample data, from the stored entity and the body.
    sample_data: Callable[[Any, dict], Any] | None = None


def _topic_sample(topic: Topic, body: dict) -> OMetaTopicSampleData:
    return OMetaTopicSampleData(topic=topic, sample_data=TopicSampleData.model_validate(body))


ENTITY_TYPES = {
    e.entity_type: e
    for e in (
        EntityType("topic", "topics", Topic, CreateTopicRequest, _topic_sample),
        EntityType("pipeline", "pipelines", Pipeline, CreatePipelineRequest),
        EntityType("container", "containers", Container, CreateContainerRequest),
        EntityType("table", "tables", Table, CreateTableRequest),
    )
}


@dataclass(frozen=True)
class ServiceKind:
    service_class: type


SERVICE_KINDS = {"Messaging": ServiceKind(MessagingService), "Pipeline": ServiceKind(PipelineService)}


def quote(part: str) -> str:
    """A name part as OpenMetadata writes it in an FQN."""
    return _native.fqn([part])


def fqn_of(parts: Iterable[str]) -> str:
    return _native.fqn(list(parts))
