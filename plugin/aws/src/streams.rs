//! The account's streams, paged as AWS and the emulators page ListStreams: the one listing of
//! streams every connector uses.
//!
//! Written out rather than the SDK's `into_paginator()`, which follows `NextToken` only: AWS
//! sends `NextToken`, but older endpoints and emulators (kinesis-local, moto) answer with
//! `HasMoreStreams` alone, and expect `ExclusiveStartStreamName`. Both are followed here, so a
//! listing is never cut short at the first page. A token that expired (AWS's last 300 s) is
//! not the end either: the listing resumes after the last name it read. A page that cannot be
//! right (more promised but none given, the previous page again, a token that does not move)
//! ends the listing as incomplete, never in a loop.

use std::collections::HashMap;

use aws_sdk_kinesis::operation::list_streams::ListStreamsError;
use plugin_abi::{ErrorKind, PluginError};

use crate::budget::Api;
use crate::metered::Metered;

/// One page: the stream names in order, and the ARNs the page's summaries gave.
#[derive(Debug, Default)]
pub struct StreamPage {
    pub names: Vec<String>,
    pub arns: HashMap<String, String>,
}

/// The pages of an account's streams; `api` is the connector's name for ListStreams.
pub struct StreamPages<A: Api + 'static> {
    client: aws_sdk_kinesis::Client,
    metered: Metered<A>,
    api: A,
    limit: Option<i32>,
    next: Option<PageStart>,
    pages: u64,
    /// The last name read, to resume after an expired token.
    last_name: Option<String>,
    previous_page: Vec<String>,
    resumed: u32,
}

enum PageStart {
    First,
    Token(String),
    After(String),
}

/// Times in a row an expired token is resumed from before the listing gives up.
const MAX_RESUMES: u32 = 3;

impl<A: Api + 'static> StreamPages<A> {
    pub fn new(client: aws_sdk_kinesis::Client, metered: Metered<A>, api: A) -> Self {
        StreamPages {
            client,
            metered,
            api,
            limit: None,
            next: Some(PageStart::First),
            pages: 0,
            last_name: None,
            previous_page: Vec::new(),
            resumed: 0,
        }
    }

    /// Asks for up to `limit` streams a page (AWS's default otherwise).
    pub fn with_limit(self, limit: i32) -> Self {
        StreamPages { limit: Some(limit), ..self }
    }

    /// The next page; `None` when the listing is done. After an error, `None`.
    pub async fn next(&mut self) -> Option<Result<StreamPage, PluginError>> {
        let start = self.next.take()?;
        self.pages += 1;
        let page_number = self.pages;
        let request = match &start {
            PageStart::First => self.client.list_streams(),
            PageStart::Token(token) => self.client.list_streams().next_token(token),
            PageStart::After(name) => self.client.list_streams().exclusive_start_stream_name(name),
        }
        .set_limit(self.limit);
        if let Err(e) = self.metered.turn(self.api).await {
            return Some(Err(PluginError { message: format!("page {page_number}: {}", e.message).into(), ..e }));
        }
        let page = match request.send().await {
            Ok(page) => page,
            Err(e) => {
                let expired = matches!(e.as_service_error(), Some(ListStreamsError::ExpiredNextTokenException(_)));
                if let (true, PageStart::Token(_), Some(last)) = (expired, &start, &self.last_name) {
                    if self.resumed < MAX_RESUMES {
                        self.resumed += 1;
                        tracing::warn!("the ListStreams token of page {page_number} expired; resuming after '{last}'");
                        self.next = Some(PageStart::After(last.clone()));
                        return Some(Ok(StreamPage::default()));
                    }
                }
                let e = self.metered.failed(self.api, &e);
                let message = if e.is(ErrorKind::Connection) {
                    format!("page {page_number}: cannot reach {}: {}", self.metered.endpoint(), e.message)
                } else {
                    format!("page {page_number}: {}", e.message)
                };
                return Some(Err(PluginError { message: message.into(), ..e }));
            }
        };
        let arns =
            page.stream_summaries().iter().map(|s| (s.stream_name().to_string(), s.stream_arn().to_string())).collect();
        let names = page.stream_names;
        let more = page.has_more_streams || page.next_token.as_deref().is_some_and(|t| !t.is_empty());
        let broken = if more && names.is_empty() {
            Some("it promised more streams but held none")
        } else if !names.is_empty() && names == self.previous_page {
            Some("it repeated the previous page")
        } else if matches!((&start, &page.next_token), (PageStart::Token(sent), Some(got)) if sent == got) {
            Some("its NextToken did not advance")
        } else {
            None
        };
        if let Some(why) = broken {
            return Some(Err(PluginError::new(
                ErrorKind::Internal,
                format!("page {page_number} cannot be followed: {why}"),
            )));
        }
        self.resumed = 0;
        self.next = match (page.next_token, names.last()) {
            (Some(token), _) if !token.is_empty() => Some(PageStart::Token(token)),
            (_, Some(last)) if page.has_more_streams => Some(PageStart::After(last.clone())),
            _ => None,
        };
        if let Some(last) = names.last() {
            self.last_name = Some(last.clone());
        }
        self.previous_page.clone_from(&names);
        Some(Ok(StreamPage { names, arns }))
    }
}
