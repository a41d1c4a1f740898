//! The record loop: pulls a run's records, follows the plan (`host_core::plan`) and hands each
//! step to the sink, with a progress display, until the end, an error or a signal.

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use abi_stable::std_types::{RNone, RResult, RSome};
use host_core::plan::{Plan, Step};
use host_core::puller::Puller;

use crate::endpoints;
use crate::requests;
use crate::signals::Interrupt;
use crate::sink::Sink;
use crate::summary::Summary;

/// Pulls records into the sink until the end, an error, or a signal, as the plan says.
pub struct Pull<'a> {
    pub sink: &'a mut dyn Sink,
    pub plan: &'a mut Plan,
    pub summary: &'a mut Summary,
}

impl Pull<'_> {
    pub fn run(&mut self, records: &Puller, interrupt: &Interrupt) {
        let noun =
            self.plan.types().first().and_then(|t| endpoints::entity(&t.entity_type)).map_or("entities", |e| e.plural);
        let mut display = crate::progress::Display::start(noun);
        loop {
            if let Some(signal) = interrupt.received() {
                self.summary.interrupted = Some(signal);
                break;
            }
            let record = match records.next(Duration::from_millis(200)) {
                Ok(RResult::ROk(RSome(record))) => record,
                Ok(RResult::ROk(RNone)) => break,
                Ok(RResult::RErr(e)) => {
                    self.summary.errors.push(format!("the plugin failed: {e}"));
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    display.update(self.plan.progress(), self.entities());
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.summary.errors.push("the plugin's record stream ended without saying so".into());
                    break;
                }
            };
            let steps = self.plan.take(&record.kind, &record.entity_type, &record.fqn_parts(), &record.body);
            if !steps.into_iter().all(|step| self.execute(step)) {
                break;
            }
            display.update(self.plan.progress(), self.entities());
        }
        display.finish();
        // An entity cut short by a signal is not written.
        if self.summary.interrupted.is_none() {
            if let Some(step) = self.plan.end() {
                self.execute(step);
            }
        }
    }

    fn entities(&self) -> u64 {
        self.plan.types().iter().map(|t| t.written.len() as u64).sum()
    }

    /// Does one step of the plan; false when the sink cannot go on.
    fn execute(&mut self, step: Step) -> bool {
        let write = match step {
            Step::Write(write) => write,
            Step::Failed(name, why) => {
                self.summary.record_errors.push((name, why));
                return true;
            }
            Step::Error(error) => {
                self.summary.errors.push(error);
                return true;
            }
            Step::Warning(warning) => {
                self.summary.warnings.push(warning);
                return true;
            }
        };
        // The plan passes only types this host writes.
        let Some(entity) = endpoints::entity(&write.entity_type) else { return true };
        let mut request = requests::put_entity(entity, write.fqn.clone(), write.body);
        if let Some(labels) = &write.labels {
            let has_owners = self.plan.stored().and_then(|s| s.has_owners(entity.entity_type, &write.fqn));
            let labelled = self.sink.labels(entity, &write.fqn, labels, has_owners, &mut self.summary.labels);
            self.summary.warnings.extend(labelled.warnings.iter().cloned());
            labelled.apply(&mut request.body);
        }
        let sample = write.sample.and_then(|sample| requests::put_sample_data(entity, write.fqn.clone(), sample));
        // OpenMetadata holds the entity as the request says: not sent; its sample still is
        // (sample data is kept apart from the entity, unversioned, and cannot be listed).
        if self.plan.unchanged(entity.entity_type, &write.fqn, &request.body) {
            let Some(sample) = sample else { return true };
            let id =
                self.plan.stored().and_then(|s| s.id(entity.entity_type, &write.fqn)).unwrap_or_default().to_string();
            return match self.sink.sample(entity, &id, sample) {
                Ok(()) => true,
                Err(e) => {
                    self.summary
                        .errors
                        .push(format!("cannot write the sample of {} {}: {e:#}", entity.entity_type, write.fqn));
                    false
                }
            };
        }
        match self.sink.entity(entity, request, sample) {
            Ok(()) => true,
            Err(e) => {
                self.summary.errors.push(format!("cannot write {} {}: {e:#}", entity.entity_type, write.fqn));
                false
            }
        }
    }
}
