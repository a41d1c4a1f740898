//! What the detectors find, named as OpenMetadata's classifier names it (Presidio's entities),
//! and the sensitivity OpenMetadata gives each.

/// A kind of personal data, or a credential that must never sit in a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    EmailAddress,
    CreditCard,
    IbanCode,
    UsSsn,
    IpAddress,
    PhoneNumber,
    AwsAccessKey,
    AwsSecretKey,
    Jwt,
    PrivateKey,
}

/// OpenMetadata's two PII tags (classification `PII`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    Sensitive,
    NonSensitive,
}

impl Sensitivity {
    /// The tag's fully qualified name.
    pub fn tag_fqn(self) -> &'static str {
        match self {
            Sensitivity::Sensitive => "PII.Sensitive",
            Sensitivity::NonSensitive => "PII.NonSensitive",
        }
    }
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::EmailAddress,
        Kind::CreditCard,
        Kind::IbanCode,
        Kind::UsSsn,
        Kind::IpAddress,
        Kind::PhoneNumber,
        Kind::AwsAccessKey,
        Kind::AwsSecretKey,
        Kind::Jwt,
        Kind::PrivateKey,
    ];

    /// The name in a tag's reason: Presidio's entity name where it has one.
    pub fn name(self) -> &'static str {
        match self {
            Kind::EmailAddress => "EMAIL_ADDRESS",
            Kind::CreditCard => "CREDIT_CARD",
            Kind::IbanCode => "IBAN_CODE",
            Kind::UsSsn => "US_SSN",
            Kind::IpAddress => "IP_ADDRESS",
            Kind::PhoneNumber => "PHONE_NUMBER",
            Kind::AwsAccessKey => "AWS_ACCESS_KEY_ID",
            Kind::AwsSecretKey => "AWS_SECRET_ACCESS_KEY",
            Kind::Jwt => "JWT",
            Kind::PrivateKey => "PRIVATE_KEY",
        }
    }

    /// OpenMetadata's map (`metadata/pii/algorithms/tags.py`): phone numbers, dates and times,
    /// locations, nationalities and URLs are non-sensitive; the rest sensitive.
    pub fn sensitivity(self) -> Sensitivity {
        match self {
            Kind::PhoneNumber => Sensitivity::NonSensitive,
            _ => Sensitivity::Sensitive,
        }
    }

    /// A secret that opens something: masked in every sample, whatever the options.
    pub fn is_credential(self) -> bool {
        matches!(self, Kind::AwsAccessKey | Kind::AwsSecretKey | Kind::Jwt | Kind::PrivateKey)
    }
}
