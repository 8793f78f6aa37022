//! 粘贴通知: marketing's notice read into a campaign draft, with where each
//! field came from and what was not understood. Nothing is stored; send the
//! draft (and the notice as `notice_text`) to `POST /api/v1/campaigns`.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::domain::money::fen_to_yuan;
use crate::domain::notice::{DraftField, NoticeReading};
use crate::ops;
use crate::web::api::parse_body;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParseNoticeInput {
    /// The notice as marketing sent it (chat message or e-mail), at most 20,000 characters.
    pub text: String,
    /// The notice's date; relative periods (即日起至月底) count from it. Default: a date the
    /// notice carries (通知日期, or a date alone on a line), else today (Asia/Shanghai).
    pub announced_on: Option<NaiveDate>,
}

/// The draft's goals; `null` when the notice does not state them.
#[derive(Serialize, ToSchema)]
pub struct DraftGoalsOut {
    pub reached: Option<i64>,
    pub intent_customers: Option<i64>,
    pub orders: Option<i64>,
    /// CNY.
    pub sales_amount: Option<f64>,
    /// As a ratio: 3 means 1:3.
    pub roi: Option<f64>,
}

/// The campaign as far as the notice tells it; fields it does not state are `null`.
#[derive(Serialize, ToSchema)]
pub struct DraftOut {
    pub name: Option<String>,
    /// new_product, trade_show, appreciation, competitive, or other when the wording names none.
    pub kind: String,
    pub theme: Option<String>,
    pub selling_points: Option<String>,
    /// Target customers in the segment language (amounts in yuan), e.g.
    /// `region = "华东" and industry = "制造业" and annual_purchase > 5000000`.
    pub segment: Option<String>,
    /// The notice date the period was counted from.
    pub announced_on: NaiveDate,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub resource_support: Option<String>,
    pub collateral_needs: Option<String>,
    pub training_needs: Option<String>,
    pub goals: DraftGoalsOut,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeDraftOut {
    pub draft: DraftOut,
    /// For each field found (`name`, `segment`, `goals.intent_customers` …), the words
    /// of the notice it came from (several places joined with " … ").
    pub sources: BTreeMap<String, String>,
    /// The sentences of the notice that were not used, in order.
    pub unparsed: Vec<String>,
}

fn to_out(text: &str, r: &NoticeReading) -> NoticeDraftOut {
    let d = &r.draft;
    let draft = DraftOut {
        name: d.name.clone(),
        kind: d.kind.as_str().to_owned(),
        theme: d.theme.clone(),
        selling_points: d.selling_points.clone(),
        segment: d.segment.as_ref().map(|e| e.to_plain_amounts()),
        announced_on: d.announced_on,
        starts_on: d.starts_on,
        ends_on: d.ends_on,
        resource_support: d.resource_support.clone(),
        collateral_needs: d.collateral_needs.clone(),
        training_needs: d.training_needs.clone(),
        goals: DraftGoalsOut {
            reached: d.goals.reached,
            intent_customers: d.goals.intent_customers,
            orders: d.goals.orders,
            sales_amount: d.goals.sales_fen.map(fen_to_yuan),
            roi: d.goals.roi,
        },
    };
    let sources = DraftField::ALL.iter().filter_map(|f| r.quote(text, *f).map(|q| (f.key().to_owned(), q))).collect();
    NoticeDraftOut { draft, sources, unparsed: r.unparsed.iter().map(|s| s.text(text).to_owned()).collect() }
}

/// Read marketing's notice into a campaign draft (marketing, lead, admin). Nothing is stored.
#[utoipa::path(post, operation_id = "campaigns_parse_notice", path = "/api/v1/campaigns/parse-notice", tag = "campaigns",
    request_body = ParseNoticeInput,
    responses((status = 200, description = "The draft, the words each field came from, and the sentences not used", body = NoticeDraftOut),
        (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 422, description = "Invalid input; the error names the field", body = crate::web::api::ErrorBody)))]
pub async fn parse_notice(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<NoticeDraftOut>, ApiError> {
    crate::ops::authz::require(&actor, crate::ops::authz::Permission::ManageCampaigns)?;
    let input: ParseNoticeInput = parse_body(&headers, &body)?;
    let reading = ops::campaigns::notice::read_notice(&state.store, &actor, &input.text, input.announced_on).await?;
    Ok(Json(to_out(&input.text, &reading)))
}
