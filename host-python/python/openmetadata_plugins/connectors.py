"""The connectors this package carries, declared once: the class a custom service names as its
``sourcePythonClass``, the plugin's connector type, the plugin library the wheel carries
(``scripts/wheel.sh`` reads the list by running this file), and what the class brings in.
Adding a connector to the wheel is a line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Connector:
    class_name: str
    connector_type: str
    library: str
    doc: str


CONNECTORS = (
    Connector(
        "KinesisSource",
        "Kinesis",
        "libkinesis_plugin.so",
        "Kinesis Data Streams as topics (a ``CustomMessaging`` service).",
    ),
    Connector(
        "FirehoseSource",
        "KinesisFirehose",
        "libfirehose_plugin.so",
        "Firehose delivery streams as pipelines, with lineage (a ``CustomPipeline`` service).",
    ),
    Connector(
        "KinesisIntegrationsSource",
        "KinesisIntegrations",
        "libkinesis_integrations_plugin.so",
        "Who reads and writes each stream (Lambda event source mappings, EventBridge Pipes and rules, IoT rules, "
        "fan-out consumers) as pipelines, with lineage (a ``CustomPipeline`` service).",
    ),
)

#: The connector type a class stands for, by class name; PluginSource reads it from the
#: connection's ``plugin`` field.
CONNECTOR_OF_CLASS = {c.class_name: c.connector_type for c in CONNECTORS}

if __name__ == "__main__":
    # The libraries the wheel carries, for scripts/wheel.sh.
    print("\n".join(c.library for c in CONNECTORS))
