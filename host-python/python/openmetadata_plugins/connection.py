"""Test Connection, as OpenMetadata runs it for a custom service: its UI (through an automation
workflow) and ``test_connection_common`` import ``get_connection`` and ``test_connection`` from
the module of ``sourcePythonClass``. The steps are the plugin's own (one per permission)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from metadata.generated.schema.entity.services.connections.testConnectionResult import (
    StatusType,
    TestConnectionResult,
)
from metadata.utils.logger import ingestion_logger

from openmetadata_plugins import config

logger = ingestion_logger()


@dataclass
class PluginConnection:
    """What ``get_connection`` hands ``test_connection``: the service connection, since a
    plugin connects only for the steps it runs."""

    connection: Any


def get_connection(connection: Any) -> PluginConnection:
    """OpenMetadata's client for a connection; the plugin connects when a step runs."""
    return PluginConnection(connection=connection)


def _source_for(connection: Any) -> dict:
    """The ``source`` block of a workflow for this connection alone (test connection has no
    workflow): the connection, and the service kind's default options."""
    kind = config.to_json(getattr(connection, "type", None)) or ""
    source_config = {"type": "PipelineMetadata" if "pipeline" in str(kind).lower() else "MessagingMetadata"}
    return {
        "type": str(kind),
        "serviceName": "test_connection",
        "serviceConnection": {"config": config.to_json(connection)},
        "sourceConfig": {"config": source_config},
    }


def _class_name(connection: Any) -> str:
    return str(getattr(connection, "sourcePythonClass", "") or "").rsplit(".", 1)[-1]


def run_steps(metadata: Any, connection: Any) -> TestConnectionResult:
    """The plugin's test connection for ``connection``, as OpenMetadata's TestConnectionResult.
    A configuration the plugin refuses is one failed step naming every problem."""
    server = config.secrets_manager_of(metadata)
    try:
        configured = config.configure(_class_name(connection), _source_for(connection), server, logger)
        answer = configured.plugin.test_connection(configured.source, config.python_level(logger))
        result = TestConnectionResult.model_validate(json.loads(answer))
    except (config.ConfigError, config.PluginError) as err:
        result = TestConnectionResult.model_validate(
            {
                "status": "Failed",
                "steps": [
                    {"name": "CheckConfiguration", "mandatory": True, "passed": False, "message": str(err.args[0])}
                ],
            }
        )
    finally:
        config.forward_logs(logger)
    if result.status is None:
        failed = any(not step.passed for step in result.steps)
        result.status = StatusType.Failed if failed else StatusType.Successful
    return result


def test_connection(
    metadata: Any,
    client: PluginConnection,
    service_connection: Any,
    automation_workflow: Any | None = None,
    timeout_seconds: int | None = None,
) -> TestConnectionResult:
    """Runs the plugin's steps; from OpenMetadata's UI (``automation_workflow``), the result is
    stored on the workflow as OpenMetadata's own connectors store theirs."""
    connection = service_connection if service_connection is not None else client.connection
    result = run_steps(metadata, connection)
    if automation_workflow is not None:
        from metadata.generated.schema.entity.automations.workflow import WorkflowStatus
        from metadata.generated.schema.type.basic import Timestamp

        result.lastUpdatedAt = Timestamp(int(datetime.now().timestamp() * 1000))
        metadata.patch_automation_workflow_response(automation_workflow, result, WorkflowStatus.Successful)
    return result
