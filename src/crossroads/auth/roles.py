"""Roles and actions: the vocabulary the access policy speaks."""

from enum import StrEnum


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


class OrganisationKind(StrEnum):
    AGENCY = "agency"
    GOVERNMENT = "government"
    PARTNER = "partner"
