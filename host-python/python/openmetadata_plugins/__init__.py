"""Source-connector plugins (Rust, stable ABI) inside OpenMetadata's own ingestion framework.

Name one of these classes as the ``sourcePythonClass`` of a custom service:

- ``openmetadata_plugins.KinesisSource`` for a ``CustomMessaging`` service (Kinesis streams as
  topics, with sample data, tags, owners and message schemas);
- ``openmetadata_plugins.FirehoseSource`` for a ``CustomPipeline`` service (Firehose delivery
  streams as pipelines, with lineage);
- ``openmetadata_plugins.KinesisIntegrationsSource`` for a ``CustomPipeline`` service (who reads
  and writes each stream: Lambda event source mappings, EventBridge Pipes and rules, IoT rules,
  fan-out consumers, as pipelines with the lineage AWS states);
- ``openmetadata_plugins.PluginSource`` for any plugin, named by the connection's ``plugin``
  field (or ``connectionOptions.plugin``).

OpenMetadata's Test Connection imports ``get_connection`` and ``test_connection`` from this
module. The plugins come from ``$OM_PLUGIN_DIR`` when set, else from the ones this package
carries.
"""

from openmetadata_plugins import source as _source
from openmetadata_plugins._native import ConfigError, PluginError, contract_version
from openmetadata_plugins.connection import get_connection, test_connection
from openmetadata_plugins.connectors import CONNECTORS
from openmetadata_plugins.source import PluginSource

# The class of each connector this package carries (``connectors.CONNECTORS``).
globals().update({c.class_name: getattr(_source, c.class_name) for c in CONNECTORS})

__all__ = [
    "ConfigError",
    "PluginError",
    "PluginSource",
    "contract_version",
    "get_connection",
    "test_connection",
    *(c.class_name for c in CONNECTORS),
]
