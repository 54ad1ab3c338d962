//! The OpenAPI 3.1 document of the partner API, generated from the handlers and types, so it
//! cannot drift. `docs/openapi.json` is this document for a generic server; each tenant serves
//! it with its own server URL at `/t/<slug>/api/v1/openapi.json`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::{ServerBuilder, ServerVariableBuilder};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;
use super::handlers;
use super::model::*;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Renkei partner API",
        version = "1.0.0",
        description = "残高照会 (balance inquiry) and 入出金明細照会 (transaction history) of the accounts a customer \
                       shared with your service, in the shapes of the Japanese bank open-API standard. Obtain an access \
                       token with the authorization code flow (PKCE S256) of the institution's authorization server, \
                       whose metadata is at /.well-known/oauth-authorization-server next to this document. Amounts \
                       are strings of whole yen; dates and times are JST."
    ),
    paths(handlers::accounts, handlers::balances, handlers::transactions),
    components(schemas(
        Account,
        AccountsResponse,
        Balance,
        BalancesResponse,
        Transaction,
        TransactionsResponse,
        ErrorBody
    )),
    modifiers(&Security),
    tags((name = "accounts", description = "Accounts, balances and transactions"))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The access token from the token endpoint (RFC 6750)."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "x-access-token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-access-token",
                "The same access token in the x-access-token header.",
            ))),
        );
    }
}

/// The document for one tenant (`issuer` = `<public_url>/t/<slug>`), or for any tenant.
pub fn document(issuer: Option<&str>) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.license = None;
    let server = match issuer {
        Some(issuer) => ServerBuilder::new().url(issuer).build(),
        None => ServerBuilder::new()
            .url("{publicUrl}/t/{tenant}")
            .description(Some("Each institution's own base URL"))
            .parameter(
                "publicUrl",
                ServerVariableBuilder::new().default_value("http://127.0.0.1:8080"),
            )
            .parameter(
                "tenant",
                ServerVariableBuilder::new().default_value("kitami"),
            )
            .build(),
    };
    doc.servers = Some(vec![server]);
    doc
}

pub fn json(issuer: Option<&str>) -> String {
    document(issuer)
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}
