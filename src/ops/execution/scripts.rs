//! The script library (话术): scripts and objection answers tagged by pain
//! point, industry and campaign kind, edited by marketing and leads. The
//! follow-up form shows those matching the customer.

use serde_json::json;

use crate::ops::authz::{self, Actor, Permission};
use crate::ops::{OpsError, OpsResult, audit_change, required_text};
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::execution::scripts::{self as script_store, Script, ScriptFields};

/// A script as given; `None` keeps the value on edit.
#[derive(Clone, Debug, Default)]
pub struct ScriptInput {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub pain_points: Option<Vec<String>>,
    pub industries: Option<Vec<String>>,
    pub campaign_kinds: Option<Vec<String>>,
}

fn tags(field: &'static str, items: Vec<String>) -> OpsResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in items.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if t.chars().count() > 50 {
            return Err(OpsError::invalid(field, format!("{t:?} is longer than 50 characters")));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(OpsError::invalid(field, format!("at most 20 {field}")));
    }
    Ok(out)
}

fn merge(base: ScriptFields, input: ScriptInput) -> OpsResult<ScriptFields> {
    let mut f = base;
    if let Some(k) = input.kind {
        let k = k.trim();
        if !["script", "objection"].contains(&k) {
            return Err(OpsError::invalid("kind", "kind is script or objection"));
        }
        f.kind = k.to_owned();
    }
    if let Some(t) = input.title {
        f.title = required_text("title", &t, 100)?;
    }
    if let Some(b) = input.body {
        f.body = required_text("body", &b, 4000)?;
    }
    if let Some(p) = input.pain_points {
        f.pain_points = tags("pain_points", p)?;
    }
    if let Some(i) = input.industries {
        f.industries = tags("industries", i)?;
    }
    if let Some(k) = input.campaign_kinds {
        let kinds = tags("campaign_kinds", k)?;
        for kind in &kinds {
            kind.parse::<crate::domain::campaign::CampaignKind>()
                .map_err(|e| OpsError::invalid("campaign_kinds", e.to_string()))?;
        }
        f.campaign_kinds = kinds
            .iter()
            .filter_map(|k| k.parse::<crate::domain::campaign::CampaignKind>().ok())
            .map(|k| k.as_str().to_owned())
            .collect();
    }
    if f.title.is_empty() {
        return Err(OpsError::invalid("title", "title is required"));
    }
    if f.body.is_empty() {
        return Err(OpsError::invalid("body", "body is required"));
    }
    Ok(f)
}

fn view(s: &Script) -> serde_json::Value {
    json!(s)
}

pub async fn list(store: &Store, actor: &Actor) -> OpsResult<Vec<Script>> {
    authz::require(actor, Permission::ReadCampaigns)?;
    Ok(script_store::scripts(store.acquire().await?.conn()).await?)
}

pub async fn create(store: &Store, actor: &Actor, input: ScriptInput) -> OpsResult<Script> {
    authz::require(actor, Permission::EditScripts)?;
    let base = ScriptFields { kind: "script".to_owned(), ..ScriptFields::default() };
    let f = merge(base, input)?;
    let mut tx = store.begin().await?;
    let id = script_store::insert_script(&mut tx, &f, Some(actor.id)).await?;
    let created = script_store::script(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Create, "script", id, None, Some(view(&created))).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    input: ScriptInput,
) -> OpsResult<Script> {
    authz::require(actor, Permission::EditScripts)?;
    let before = script_store::script(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: view(&before) });
    }
    let base = ScriptFields {
        kind: before.kind.clone(),
        title: before.title.clone(),
        body: before.body.clone(),
        pain_points: before.pain_points.clone(),
        industries: before.industries.clone(),
        campaign_kinds: before.campaign_kinds.clone(),
    };
    let f = merge(base, input)?;
    let mut tx = store.begin().await?;
    if !script_store::update_script(&mut tx, id, before.version, &f).await? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: view(&before) });
    }
    let after = script_store::script(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Update, "script", id, Some(view(&before)), Some(view(&after))).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    authz::require(actor, Permission::EditScripts)?;
    let before = script_store::script(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    let mut tx = store.begin().await?;
    script_store::delete_script(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Delete, "script", id, Some(view(&before)), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Scripts for a customer: those tagged with one of its pain points or its
/// industry, or untagged for those, and fitting the campaign's kind — the
/// best matches (pain point and industry) first; among equally good
/// matches, those more people marked "helped" first.
pub fn matching<'a>(all: &'a [Script], pain_points: &[String], industry: &str, campaign_kind: &str) -> Vec<&'a Script> {
    let mut scored: Vec<(i32, &Script)> = all
        .iter()
        .filter(|s| s.campaign_kinds.is_empty() || s.campaign_kinds.iter().any(|k| k == campaign_kind))
        .filter_map(|s| {
            let pain = s
                .pain_points
                .iter()
                .any(|p| pain_points.iter().any(|c| c.contains(p.as_str()) || p.contains(c.as_str())));
            let ind = s.industries.iter().any(|i| i == industry);
            let fits_pain = s.pain_points.is_empty() || pain;
            let fits_industry = s.industries.is_empty() || ind;
            (fits_pain && fits_industry).then_some((i32::from(pain) * 2 + i32::from(ind), s))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.helped.cmp(&a.1.helped)).then(a.1.id.cmp(&b.1.id)));
    scored.into_iter().map(|(_, s)| s).collect()
}

/// Scripts for the follow-up form of a member.
pub async fn for_member(store: &Store, actor: &Actor, campaign_id: i64, customer_id: i64) -> OpsResult<Vec<Script>> {
    let m = super::visible_member(store, actor, campaign_id, customer_id).await?;
    let c = store.campaign(campaign_id).await?.ok_or(OpsError::NotFound)?;
    let (_, pains) = store.customer_labels(customer_id).await?;
    let all = script_store::scripts(store.acquire().await?.conn()).await?;
    Ok(matching(&all, &pains, &m.industry, c.kind.as_str()).into_iter().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: i64, pains: &[&str], industries: &[&str], kinds: &[&str]) -> Script {
        Script {
            id,
            kind: "script".to_owned(),
            title: format!("s{id}"),
            body: "…".to_owned(),
            pain_points: pains.iter().map(|p| (*p).to_owned()).collect(),
            industries: industries.iter().map(|p| (*p).to_owned()).collect(),
            campaign_kinds: kinds.iter().map(|p| (*p).to_owned()).collect(),
            version: 1,
            updated_at: chrono::Utc::now(),
            helped: 0,
        }
    }

    #[test]
    fn messaging_follows_the_customer() {
        let all = vec![
            s(1, &["成本高"], &[], &[]),
            s(2, &["质量"], &[], &[]),
            s(3, &[], &["制造业"], &[]),
            s(4, &[], &[], &["trade_show"]),
            s(5, &["成本高"], &["制造业"], &["new_product"]),
        ];
        let pains = vec!["采购成本高".to_owned()];
        let ids: Vec<i64> = matching(&all, &pains, "制造业", "new_product").iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            vec![5, 1, 3],
            "cost-focused → value for money; not the quality script, not the trade-show one"
        );
        let ids: Vec<i64> =
            matching(&all, &["质量不稳定".to_owned()], "零售", "trade_show").iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![2, 4]);
    }

    #[test]
    fn helped_marks_rank_within_the_same_fit() {
        let mut all = vec![
            s(1, &["成本高"], &[], &[]),
            s(2, &["成本高"], &[], &[]),
            s(3, &["成本高"], &["制造业"], &[]),
            s(4, &[], &[], &[]),
        ];
        all[1].helped = 5;
        all[3].helped = 9;
        let pains = vec!["采购成本高".to_owned()];
        let ids: Vec<i64> = matching(&all, &pains, "制造业", "new_product").iter().map(|s| s.id).collect();
        // The best fit stays first whatever the counts; then 2 (5 marks) before 1 (none).
        assert_eq!(ids, vec![3, 2, 1, 4]);
    }
}
