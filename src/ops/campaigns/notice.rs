//! Reading marketing's notice into a campaign draft (粘贴通知): the domain
//! reader with the team's calendar, regions, industries and tags. Nothing is
//! written; creating the campaign is `create` with the draft's fields.

use chrono::NaiveDate;

use crate::domain::notice::{self, MAX_NOTICE_CHARS, NoticeContext, NoticeReading};
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::{OpsError, OpsResult, check_chars, check_date};
use crate::store::Store;

/// Reads `text` as of `announced_on` (the notice's date; when `None`, a date
/// the notice carries, else today). Those who plan campaigns only.
pub async fn read_notice(
    store: &Store,
    actor: &Actor,
    text: &str,
    announced_on: Option<NaiveDate>,
) -> OpsResult<NoticeReading> {
    authz::require(actor, Permission::ManageCampaigns)?;
    check_chars("text", text, true)?;
    if text.chars().nth(MAX_NOTICE_CHARS).is_some() {
        return Err(OpsError::invalid("text", format!("the notice is longer than {MAX_NOTICE_CHARS} characters")));
    }
    let announced_on = announced_on.map(|d| check_date("announced_on", d)).transpose()?;
    let calendar = crate::ops::calendar::calendar(store).await?;
    let regions = store.regions().await?;
    let (industries, tags) = store.customer_vocabulary().await?;
    let ctx = NoticeContext {
        today: store.today(),
        announced_on,
        calendar: &calendar,
        regions: &regions,
        industries: &industries,
        tags: &tags,
    };
    Ok(notice::read(text, &ctx))
}
