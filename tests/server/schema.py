"""The synced tables: column names, Postgres types and NOT NULL flags.

Order matters: it is the column order of snapshots and of the electric-schema header.
`repositories.is_private` is a bool that exists to exercise Electric's "true"/"false"
(snapshot) versus "t"/"f" (live) rendering; the C client ignores unknown columns.
"""

TABLES = {
    "organizations": [
        ("id", "uuid", True), ("name", "text", True), ("slug", "text", True),
        ("avatar_url", "text", False),
        ("created_at", "timestamptz", True), ("updated_at", "timestamptz", True),
    ],
    "users": [
        ("id", "uuid", True), ("email", "text", True), ("name", "text", True),
        ("avatar_url", "text", False),
        ("created_at", "timestamptz", True), ("updated_at", "timestamptz", True),
    ],
    "organization_members": [
        ("id", "uuid", True), ("organization_id", "uuid", True), ("user_id", "uuid", True),
        ("role", "text", True),
        ("created_at", "timestamptz", True), ("updated_at", "timestamptz", True),
    ],
    "repositories": [
        ("id", "uuid", True), ("organization_id", "uuid", True), ("name", "text", True),
        ("slug", "text", True), ("url", "text", True), ("default_branch", "text", False),
        ("github_id", "int8", False), ("is_private", "bool", False),
        ("created_at", "timestamptz", True), ("updated_at", "timestamptz", True),
    ],
    "tasks": [
        ("id", "uuid", True), ("organization_id", "uuid", True), ("repository_id", "uuid", False),
        ("title", "text", True), ("description", "text", False), ("status", "text", True),
        ("status_color", "text", False), ("priority", "int4", False), ("assignee_id", "uuid", False),
        ("external_provider", "text", False), ("external_id", "text", False),
        ("external_key", "text", False), ("external_url", "text", False), ("branch", "text", False),
        ("labels", "jsonb", False), ("due_date", "date", False),
        ("created_at", "timestamptz", True), ("updated_at", "timestamptz", True),
        ("deleted_at", "timestamptz", False),
    ],
    "workspaces": [
        ("id", "uuid", True), ("organization_id", "uuid", True), ("task_id", "uuid", False),
        ("repository_id", "uuid", False), ("owner_id", "uuid", False), ("type", "text", True),
        ("device_name", "text", False), ("status", "text", False), ("git_branch", "text", False),
        ("git_status", "jsonb", False), ("pr_url", "text", False), ("pr_number", "int4", False),
        ("pr_status", "text", False), ("last_activity_at", "timestamptz", False),
        ("created_at", "timestamptz", True), ("updated_at", "timestamptz", True),
    ],
}

PK = "id"


def column_names(table):
    return [c[0] for c in TABLES[table]]


def column_types(table):
    return {c[0]: c[1] for c in TABLES[table]}


def not_null(table):
    return {c[0] for c in TABLES[table] if c[2]}
