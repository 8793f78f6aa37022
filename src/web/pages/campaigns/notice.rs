//! 粘贴通知 on the new-campaign page: the box where the lead pastes
//! marketing's notice, and what the reader filled in from it — each field
//! with the words it came from, and the sentences it could not use.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;

use super::plan::{FormNotice, PlanForm, blank_form, form_page_with};
use crate::app::AppState;
use crate::domain::notice::{DraftField, NoticeReading, Use};
use crate::ops::authz::Permission;
use crate::ops::{self, OpsError};
use crate::web::i18n::Texts;
use crate::web::pages::{Page, PageForm, PageResult, invalid_message};

/// What the plan form shows of a notice.
pub struct NoticeView {
    /// The box is shown (a new campaign).
    pub creating: bool,
    pub text: String,
    /// The notice date typed in the box ("" = the notice's own, or today).
    pub announced_on: String,
    /// A notice was read.
    pub read: bool,
    /// Why the notice could not be read.
    pub error: Option<String>,
    /// Field (API name) → the words it came from, for fields still holding what the notice said.
    pub sources: Vec<(&'static str, String)>,
    pub unparsed: Vec<String>,
    /// The notice cut by use: ("used" | "unparsed" | "", the words).
    pub marked: Vec<(&'static str, String)>,
    pub from_label: String,
    /// The segment came from the notice: the builder opens on it.
    pub builder_open: bool,
}

impl NoticeView {
    /// The edit form: no box.
    pub fn none(t: &Texts) -> NoticeView {
        NoticeView {
            creating: false,
            text: String::new(),
            announced_on: String::new(),
            read: false,
            error: None,
            sources: Vec::new(),
            unparsed: Vec::new(),
            marked: Vec::new(),
            from_label: t.get("notice.from").to_owned(),
            builder_open: false,
        }
    }

    fn empty(t: &Texts, text: &str, announced_on: &str) -> NoticeView {
        NoticeView {
            creating: true,
            text: text.to_owned(),
            announced_on: announced_on.to_owned(),
            ..NoticeView::none(t)
        }
    }

    /// The words each field of `f` came from, for the fields that still
    /// hold what the notice said (a field the lead changed loses its mark).
    fn of(t: &Texts, f: &PlanForm, r: &NoticeReading, text: &str, announced_on: &str) -> NoticeView {
        let said = PlanForm::from_draft(PlanForm::default(), &r.draft, text, t);
        let sources: Vec<(&'static str, String)> = DraftField::ALL
            .iter()
            .filter(|field| {
                let key = field.key();
                f.value_of(key).is_some_and(|v| !v.is_empty() && Some(v) == said.value_of(key))
            })
            .filter_map(|field| r.quote(text, *field).map(|q| (field.key(), q)))
            .collect();
        let builder_open = sources.iter().any(|(k, _)| *k == "segment");
        NoticeView {
            read: true,
            sources,
            unparsed: r.unparsed.iter().map(|s| s.text(text).to_owned()).collect(),
            marked: r
                .pieces(text)
                .into_iter()
                .map(|(words, used)| {
                    let kind = match used {
                        Use::Used => "used",
                        Use::Unparsed => "unparsed",
                        Use::Plain => "",
                    };
                    (kind, words.to_owned())
                })
                .collect(),
            builder_open,
            ..NoticeView::empty(t, text, announced_on)
        }
    }

    /// The words field `key` came from.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.sources.iter().find(|(k, _)| *k == key).map(|(_, q)| q.as_str())
    }

    pub fn found(&self) -> String {
        self.sources.len().to_string()
    }
}

fn date(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok()
}

/// The notice part of a new form being shown again (after a refused
/// create): the notice it carries, read again.
pub(super) async fn view_for(state: &AppState, page: &Page, f: &PlanForm) -> NoticeView {
    let text = f.notice_text.as_str();
    if text.trim().is_empty() {
        return NoticeView::empty(page.t, "", "");
    }
    let announced = f.value_of("announced_on").and_then(date);
    match ops::campaigns::notice::read_notice(&state.store, &page.actor, text, announced).await {
        Ok(r) => NoticeView::of(page.t, f, &r, text, ""),
        Err(_) => NoticeView::empty(page.t, text, ""),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeForm {
    text: String,
    /// The notice's date (named apart from the plan's own 通知日期 field below it).
    notice_on: String,
}

/// 读取通知: the new-campaign form filled from the pasted notice (htmx
/// swaps the form in place; without JavaScript this is the whole page).
pub async fn read(State(state): State<AppState>, page: Page, PageForm(form): PageForm<NoticeForm>) -> PageResult {
    page.require(Permission::ManageCampaigns)?;
    let t = page.t;
    let base = blank_form(&page);
    if form.text.trim().is_empty() {
        let view = NoticeView::empty(t, "", &form.notice_on);
        return form_page_with(&state, &page, None, base, StatusCode::OK, FormNotice::None, view).await;
    }
    let announced = date(&form.notice_on);
    match ops::campaigns::notice::read_notice(&state.store, &page.actor, &form.text, announced).await {
        Ok(r) => {
            let f = PlanForm::from_draft(base, &r.draft, &form.text, t);
            let view = NoticeView::of(t, &f, &r, &form.text, &form.notice_on);
            form_page_with(&state, &page, None, f, StatusCode::OK, FormNotice::None, view).await
        }
        Err(OpsError::Invalid { field, message }) => {
            let mut view = NoticeView::empty(t, &form.text, &form.notice_on);
            view.error = Some(invalid_message(t, field, &message));
            form_page_with(&state, &page, None, base, StatusCode::UNPROCESSABLE_ENTITY, FormNotice::None, view).await
        }
        Err(e) => Err(e.into()),
    }
}
