//! OpenMetadata's CreatePipelineRequest (`contract/createPipeline.json`), as a pipeline
//! connector sends it: only what the source knows, so that what people curated is kept.

use serde::Serialize;

/// OpenMetadata's CreatePipelineRequest.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreatePipelineRequest {
    pub name: String,
    /// The service's fully qualified name.
    pub service: String,
    pub description: String,
    pub source_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// `Active` or `Inactive`.
    pub state: &'static str,
    pub tasks: Vec<Task>,
}

/// OpenMetadata's pipeline Task.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub task_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub downstream_tasks: Vec<String>,
}
