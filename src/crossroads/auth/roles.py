"""Roles and actions: the vocabulary the access policy speaks."""

from enum import StrEnum

from crossroads.kit.i18n import N_


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    DATA_OFFICER = "data_officer"
    DPO = "dpo"
    ADMIN = "admin"


class Action(StrEnum):
    PERSON_READ = "person.read"
    PERSON_CREATE = "person.create"
    PERSON_UPDATE = "person.update"
    HOUSEHOLD_MANAGE = "household.manage"
    CASE_READ = "case.read"
    CASE_CREATE = "case.create"
    CASE_NOTE = "case.note"
    CASE_UPDATE = "case.update"
    CASE_TRANSITION = "case.transition"
    CASE_APPROVE = "case.approve"
    CASE_ASSIGN = "case.assign"
    CASE_TRANSFER = "case.transfer"
    CASE_TASK = "case.task"
    CASE_SERVICE = "case.service"
    CASE_ATTACHMENT = "case.attachment"
    OFFICE_DASHBOARD = "office.dashboard"
    PROGRAMME_READ = "programme.read"
    PROGRAMME_MANAGE = "programme.manage"
    ADMIN_MANAGE = "admin.manage"
    AUDIT_READ = "audit.read"
    DEDUP_CHECK = "dedup.check"
    DEDUP_REVIEW = "dedup.review"
    DEDUP_MERGE = "dedup.merge"
    # The match model's versions: read and compared, learnt from reviewers' decisions, activated or rolled back.
    DEDUP_MODEL_READ = "dedup.model_read"
    DEDUP_MODEL_TRAIN = "dedup.model_train"
    DEDUP_MODEL_ACTIVATE = "dedup.model_activate"
    RELEASE_READ = "release.read"
    RELEASE_PREPARE = "release.prepare"
    RELEASE_APPROVE = "release.approve"
    RELEASE_DOWNLOAD = "release.download"
    DATASET_MANAGE = "dataset.manage"
    LEDGER_READ = "ledger.read"
    AGREEMENT_MANAGE = "agreement.manage"
    EXCHANGE_ISSUE = "exchange.issue"
    DIRECTORY_READ = "directory.read"
    DIRECTORY_MANAGE = "directory.manage"
    # Webhook subscriptions and the notification outbox.
    NOTIFY_MANAGE = "notify.manage"
    # A person's consents to share their data: read, record, revoke.
    CONSENT_READ = "consent.read"
    CONSENT_RECORD = "consent.record"
    CONSENT_REVOKE = "consent.revoke"
    # Referrals: made and sent by the referring office, answered by the receiving side, measured by supervisors.
    REFERRAL_READ = "referral.read"
    REFERRAL_MANAGE = "referral.manage"
    REFERRAL_RESPOND = "referral.respond"
    REFERRAL_ANALYTICS = "referral.analytics"
    # Eligibility: screenings and determinations of a case, overrides and appeals of a determination, and the
    # programmes' rule sets.
    SCREENING_READ = "screening.read"
    SCREENING_RECORD = "screening.record"
    DETERMINATION_READ = "determination.read"
    DETERMINATION_RUN = "determination.run"
    OVERRIDE_REQUEST = "override.request"
    OVERRIDE_DECIDE = "override.decide"
    APPEAL_LODGE = "appeal.lodge"
    APPEAL_DECIDE = "appeal.decide"
    RULESET_READ = "ruleset.read"
    RULESET_DRAFT = "ruleset.draft"
    RULESET_DIFF = "ruleset.diff"
    RULESET_ACTIVATE = "ruleset.activate"


class OrganisationKind(StrEnum):
    AGENCY = "agency"
    GOVERNMENT = "government"
    PARTNER = "partner"


# What each action lets a role do, as the refusal says it: "your role may not <label>".
ACTION_LABELS = {
    Action.PERSON_READ: N_("read people's records"),
    Action.PERSON_CREATE: N_("register people"),
    Action.PERSON_UPDATE: N_("change people's records"),
    Action.HOUSEHOLD_MANAGE: N_("manage households"),
    Action.CASE_READ: N_("read cases"),
    Action.CASE_CREATE: N_("open cases"),
    Action.CASE_NOTE: N_("add notes to cases"),
    Action.CASE_UPDATE: N_("edit cases"),
    Action.CASE_TRANSITION: N_("move cases along their workflow"),
    Action.CASE_APPROVE: N_("approve case decisions"),
    Action.CASE_ASSIGN: N_("assign cases"),
    Action.CASE_TRANSFER: N_("transfer cases"),
    Action.CASE_TASK: N_("manage tasks on cases"),
    Action.CASE_SERVICE: N_("plan and record assistance"),
    Action.CASE_ATTACHMENT: N_("manage attachments of cases"),
    Action.OFFICE_DASHBOARD: N_("see the office's dashboard"),
    Action.PROGRAMME_READ: N_("read programmes"),
    Action.PROGRAMME_MANAGE: N_("manage programmes"),
    Action.ADMIN_MANAGE: N_("manage offices and users"),
    Action.AUDIT_READ: N_("read the audit trail"),
    Action.DEDUP_CHECK: N_("check for duplicates"),
    Action.DEDUP_REVIEW: N_("review possible duplicates"),
    Action.DEDUP_MERGE: N_("merge records"),
    Action.DEDUP_MODEL_READ: N_("see the duplicate engine's model versions"),
    Action.DEDUP_MODEL_TRAIN: N_("teach the duplicate engine a new model version"),
    Action.DEDUP_MODEL_ACTIVATE: N_("activate or roll back the duplicate engine's model"),
    Action.RELEASE_READ: N_("read releases"),
    Action.RELEASE_PREPARE: N_("prepare releases"),
    Action.RELEASE_APPROVE: N_("approve releases"),
    Action.RELEASE_DOWNLOAD: N_("download releases"),
    Action.DATASET_MANAGE: N_("manage datasets"),
    Action.LEDGER_READ: N_("read the privacy budget ledger"),
    Action.AGREEMENT_MANAGE: N_("manage data-sharing agreements"),
    Action.EXCHANGE_ISSUE: N_("issue exchange packages"),
    Action.DIRECTORY_READ: N_("search the service directory"),
    Action.DIRECTORY_MANAGE: N_("manage the service directory"),
    Action.NOTIFY_MANAGE: N_("manage notifications and webhooks"),
    Action.CONSENT_READ: N_("read consents"),
    Action.CONSENT_RECORD: N_("record consent"),
    Action.CONSENT_REVOKE: N_("revoke consent"),
    Action.REFERRAL_READ: N_("read referrals"),
    Action.REFERRAL_MANAGE: N_("make referrals"),
    Action.REFERRAL_RESPOND: N_("answer referrals"),
    Action.REFERRAL_ANALYTICS: N_("see referral analytics"),
    Action.SCREENING_READ: N_("read screenings"),
    Action.SCREENING_RECORD: N_("record screenings"),
    Action.DETERMINATION_READ: N_("read eligibility determinations"),
    Action.DETERMINATION_RUN: N_("determine eligibility"),
    Action.OVERRIDE_REQUEST: N_("override eligibility determinations"),
    Action.OVERRIDE_DECIDE: N_("decide overrides of eligibility"),
    Action.APPEAL_LODGE: N_("lodge appeals"),
    Action.APPEAL_DECIDE: N_("decide appeals"),
    Action.RULESET_READ: N_("read eligibility rule sets"),
    Action.RULESET_DRAFT: N_("draft eligibility rule sets"),
    Action.RULESET_DIFF: N_("compare eligibility rule sets"),
    Action.RULESET_ACTIVATE: N_("activate eligibility rule sets"),
}
