"""Finding the plugin for a custom connection and reading the connection as its configuration.

The reading itself is Rust (``host_core::custom``, through ``_native.translate``), so that the
rules live in one place; this module only brings OpenMetadata's models to it and its answers
back as exceptions that name the user's fields.
"""

from __future__ import annotations

import enum
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openmetadata_plugins import _native
from openmetadata_plugins._native import ConfigError, PluginError
from openmetadata_plugins.connectors import CONNECTOR_OF_CLASS

#: The environment variable naming the plugin directory, as for host-example.
PLUGIN_DIR_ENV = "OM_PLUGIN_DIR"

#: The plugins this package carries.
BUNDLED = Path(__file__).parent / "plugins"


_PLUGIN_FIELD = "plugin"


def plugin_dir() -> Path:
    """``$OM_PLUGIN_DIR``, else the plugins this package carries."""
    return Path(os.environ.get(PLUGIN_DIR_ENV) or BUNDLED)


def load_plugins(logger: logging.Logger | None = None) -> _native.PluginDir:
    """The plugin directory, loaded once per process; files that are not plugins are named."""
    found = _native.load_plugins(str(plugin_dir()))
    if logger is not None:
        for path, reason in found.skipped:
            logger.warning(f"skipped {path}: {reason}")
    return found


def to_json(value: Any) -> Any:
    """A model dump as plain JSON values: enums as their values, secrets as their text."""
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "get_secret_value"):
        return value.get_secret_value()
    if hasattr(value, "model_dump"):
        return to_json(value.model_dump())
    if hasattr(value, "root") and not isinstance(value, (dict, list, str)):
        return to_json(value.root)
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def connector_type(class_name: str, connection: dict) -> str:
    """The connector a class runs: fixed for the classes of ``connectors.CONNECTORS``, else the
    connection's ``plugin`` field or ``connectionOptions.plugin``."""
    if class_name in CONNECTOR_OF_CLASS:
        return CONNECTOR_OF_CLASS[class_name]
    options = connection.get("connectionOptions") or {}
    wanted = connection.get(_PLUGIN_FIELD) or options.get(_PLUGIN_FIELD)
    if not wanted:
        raise ConfigError(
            "serviceConnection.config.plugin: PluginSource needs the connector type of the plugin to run "
            "(e.g. plugin: Kinesis), as a field of the connection or in connectionOptions",
            [("serviceConnection.config.plugin", "missing")],
        )
    return str(wanted)


def pick(found: _native.PluginDir, wanted: str) -> _native.Plugin:
    plugin = found.find(wanted)
    if plugin is None:
        have = ", ".join(p.connector_type for p in found.plugins) or "none"
        raise PluginError(f"no plugin for connector '{wanted}' in {found.path} (plugins found: {have})")
    return plugin


def om_defaults(service_kind: str) -> dict:
    """The defaults of OpenMetadata's ``sourceConfig`` model for a service kind: a standard
    option at its default is left to the plugin's own default (the model writes every option,
    so a default cannot be told from a choice)."""
    if service_kind == "Messaging":
        from metadata.generated.schema.metadataIngestion.messagingServiceMetadataPipeline import (
            MessagingServiceMetadataPipeline as Model,
        )
    elif service_kind == "Pipeline":
        from metadata.generated.schema.metadataIngestion.pipelineServiceMetadataPipeline import (
            PipelineServiceMetadataPipeline as Model,
        )
    else:
        return {}
    return {name: to_json(field.default) for name, field in Model.model_fields.items() if field.default is not None}


@dataclass
class Configured:
    """A plugin and the configuration it runs with."""

    plugin: _native.Plugin
    #: The plugin's ``source`` block, secrets resolved (never logged).
    source: str
    #: The same block with its secret references left as written.
    source_unresolved: str
    translated: _native.Translated


def configure(class_name: str, om_source: dict, server_config: dict | None, logger: logging.Logger) -> Configured:
    """Reads OpenMetadata's ``source`` block (a dict, as ``WorkflowSource.model_dump()`` gives
    it) as the plugin's configuration, checks it against the plugin's schema and its own
    checks (every problem at once, each naming the user's field), and resolves its ``secret:``
    references through the workflow's secrets manager."""
    om_source = to_json(om_source)
    connection = (om_source.get("serviceConnection") or {}).get("config") or {}
    found = load_plugins(logger)
    plugin = pick(found, connector_type(class_name, connection))
    schema = plugin.schema()
    translated = _native.translate(json.dumps(om_source), schema, json.dumps(om_defaults(plugin.service_kind)))
    problems = plugin.check(translated.source)
    if problems:
        named = [(translated.user_path(pointer), message) for pointer, message in problems]
        lines = "\n".join(f"  {path}: {message}" for path, message in named)
        raise ConfigError(f"not a valid {plugin.connector_type} configuration:\n{lines}", named)
    resolved = plugin.resolve_secrets(translated.source, json.dumps(to_json(server_config or {})))
    return Configured(plugin=plugin, source=resolved, source_unresolved=translated.source, translated=translated)


def secrets_manager_of(metadata: Any) -> dict:
    """What of OpenMetadata's server config resolves `secret:` references: the secrets
    manager's provider and loader (and nothing else, so no token crosses into the plugin)."""
    server = getattr(metadata, "config", None)
    return {
        key: to_json(getattr(server, key, None))
        for key in ("secretsManagerProvider", "secretsManagerLoader")
        if getattr(server, key, None) is not None
    }


def python_level(logger: logging.Logger) -> int:
    """The plugin's log level (1 error … 5 trace) for a Python logger's effective level."""
    level = logger.getEffectiveLevel()
    if level <= logging.DEBUG:
        return 4
    if level <= logging.INFO:
        return 3
    if level <= logging.WARNING:
        return 2
    return 1


_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: logging.DEBUG}


def forward_logs(logger: logging.Logger) -> None:
    """Sends the plugins' queued log events to ``logger`` (secrets are scrubbed before they
    are queued)."""
    events, dropped = _native.drain_logs()
    for level, target, message in events:
        logger.log(_LEVELS.get(level, logging.INFO), f"[{target}] {message}")
    if dropped:
        logger.warning(f"{dropped} log events of the plugin were dropped: the log could not keep up")
