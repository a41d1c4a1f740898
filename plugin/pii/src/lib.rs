//! Personal data and credentials in sampled messages, found the way OpenMetadata's
//! auto-classification finds them and masked before a sample leaves the plugin.
//!
//! - [`detect`]: detectors that validate (checksums, issuer ranges, numbering rules, address
//!   grammars), one value at a time;
//! - [`classify`]: the field decision over a sample, with OpenMetadata's sensitivity map;
//! - [`mask`]: masking of classified fields, of every leaf, and of credentials always.

mod classify;
mod detect;
mod hint;
mod kind;
mod mask;

pub use classify::{classify, Finding, Path};
pub use detect::{
    detect, find_credentials, is_aws_access_key_id, is_card_number, is_email, is_iban, is_ip_address, is_jwt,
    is_phone_number, is_private_key, is_us_ssn, luhn,
};
pub use hint::Hint;
pub use kind::{Kind, Sensitivity};
pub use mask::{mask_message, mask_text, Masking, MASKED};
