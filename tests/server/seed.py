"""Deterministic seed data: `demo` and `bench:N`.

Ids are uuid5 of readable names and timestamps are fixed, so two runs give the same
rows (tests and screenshots can rely on them). Every demo user's password is `demo`;
demo@example.com also has the personal access token `astro_pat_demo` (public, like the
password: it only exists in the demo seed).
"""

import datetime
import random
import uuid

import auth
import values

NS = uuid.UUID("6f9c1d2e-8a41-4b7a-9a50-5c1e2d3f4a5b")
BASE = datetime.datetime(2026, 1, 2, 10, 0, 0, tzinfo=datetime.timezone.utc)
DEMO_PASSWORD = "demo"
DEMO_PAT = "astro_pat_demo"


def uid(name):
    return str(uuid.uuid5(NS, name))


def ts(minutes):
    return values.format_timestamp(BASE + datetime.timedelta(minutes=minutes))


ORGS = [("astrolabe", "Astrolabe Labs"), ("nebula", "Nebula Works")]

# email, name, orgs with role
USERS = [
    ("demo@example.com", "Demo User", {"astrolabe": "owner", "nebula": "member"}),
    ("ada@example.com", "Ada Lovelace", {"astrolabe": "admin"}),
    ("grace@example.com", "Grace Hopper", {"astrolabe": "member", "nebula": "admin"}),
    ("linus@example.com", "Linus Torvalds", {"nebula": "member"}),
    ("margaret@example.com", "Margaret Hamilton", {"nebula": "owner"}),
    ("ken@example.com", "Ken Thompson", {"astrolabe": "member"}),
]

# org, name, url (varied remote forms on purpose: the C client normalizes them)
REPOS = [
    ("astrolabe", "astrolabe", "https://github.com/astrolabe-labs/astrolabe.git"),
    ("astrolabe", "website", "https://github.com/astrolabe-labs/website"),
    ("astrolabe", "Design-System", "https://GitHub.com/Astrolabe-Labs/Design-System.git"),
    ("astrolabe", "sync-engine", "git@github.com:astrolabe-labs/sync-engine.git"),
    ("astrolabe", "cli", "ssh://git@github.com/astrolabe-labs/cli.git"),
    ("astrolabe", "terraform-modules", "https://gitlab.com/astrolabe-labs/infra/terraform-modules.git"),
    ("nebula", "api-gateway", "https://dev.azure.com/nebula-works/Platform/_git/api-gateway"),
    ("nebula", "mobile-app", "git@ssh.dev.azure.com:v3/nebula-works/Platform/mobile-app"),
    ("nebula", "billing", "https://gitlab.com/nebula-works/backend/services/billing"),
    ("nebula", "docs", "https://github.com/nebula-works/docs"),
    ("nebula", "legacy-portal", "https://bitbucket.org/nebula-works/legacy-portal.git"),
]

STATUSES = [("Backlog", "#bec2c8"), ("Todo", "#e2e2e2"), ("In Progress", "#f2c94c"),
            ("In Review", "#5e6ad2"), ("Done", "#4cb782"), ("Canceled", "#95a2b3")]
LABELS = ["bug", "feature", "sync", "ui", "performance", "docs", "security", "infra", "a11y"]
VERBS = ["Fix", "Add", "Improve", "Refactor", "Investigate", "Document", "Speed up", "Remove"]
THINGS = ["offline queue", "login flow", "task list scrolling", "remote URL matching",
          "shape resume", "keyboard shortcuts", "dark mode colours", "workspace badges",
          "PR status sync", "token refresh", "settings page", "search indexing",
          "crash on empty repo", "SSH alias lookup", "release notes"]
DEVICES = [("demo-laptop", "local"), ("ada-thinkpad", "local"), ("build-box", "local"),
           ("cloud-runner-1", "cloud"), ("cloud-runner-2", "cloud")]
KEYS = {"astrolabe": "AST", "nebula": "NEB"}
LOREM = ("Sync keeps a local copy usable offline and converges when the network returns. "
         "This task tracks the work, the edge cases found in review and the follow-ups. ")


def demo_rows():
    """All demo rows, as {table: [row dicts]} in stored text form."""
    rnd = random.Random(42)
    out = {t: [] for t in ("organizations", "users", "organization_members", "repositories",
                           "tasks", "workspaces")}
    for i, (slug, name) in enumerate(ORGS):
        out["organizations"].append({
            "id": uid("org:" + slug), "name": name, "slug": slug,
            "avatar_url": f"https://avatars.example.com/{slug}.png" if i == 0 else None,
            "created_at": ts(i), "updated_at": ts(i)})
    members = {slug: [] for slug, _ in ORGS}
    for i, (email, name, orgs) in enumerate(USERS):
        user_id = uid("user:" + email)
        out["users"].append({
            "id": user_id, "email": email, "name": name,
            "avatar_url": None if i % 3 == 2 else f"https://avatars.example.com/{email.split('@')[0]}.png",
            "created_at": ts(10 + i), "updated_at": ts(10 + i)})
        for slug, role in orgs.items():
            members[slug].append(user_id)
            out["organization_members"].append({
                "id": uid(f"member:{slug}:{email}"), "organization_id": uid("org:" + slug),
                "user_id": user_id, "role": role, "created_at": ts(20 + i), "updated_at": ts(20 + i)})
    repos = {slug: [] for slug, _ in ORGS}
    for i, (slug, name, url) in enumerate(REPOS):
        repo_id = uid(f"repo:{slug}:{name}")
        repos[slug].append(repo_id)
        out["repositories"].append({
            "id": repo_id, "organization_id": uid("org:" + slug), "name": name,
            "slug": name.lower(), "url": url, "default_branch": "main" if i % 4 else "master",
            "github_id": str(700000000 + i * 7919) if "github" in url.lower() else None,
            "is_private": "true" if i % 3 else "false",
            "created_at": ts(30 + i), "updated_at": ts(30 + i)})
    counters = {slug: 0 for slug, _ in ORGS}
    task_ids = {slug: [] for slug, _ in ORGS}
    for i in range(60):
        slug = "astrolabe" if i < 40 else "nebula"
        counters[slug] += 1
        n = counters[slug]
        key = f"{KEYS[slug]}-{n}"
        status, color = STATUSES[rnd.randrange(len(STATUSES))]
        title = f"{rnd.choice(VERBS)} {rnd.choice(THINGS)}"
        task_id = uid("task:" + key)
        task_ids[slug].append(task_id)
        assignee = rnd.choice(members[slug] + [None])
        out["tasks"].append({
            "id": task_id, "organization_id": uid("org:" + slug),
            "repository_id": rnd.choice(repos[slug] + [None]), "title": title,
            "description": (LOREM * (1 + n % 3)).strip() if n % 5 else None,
            "status": status, "status_color": color, "priority": str(rnd.randrange(5)),
            "assignee_id": assignee, "external_provider": "linear",
            "external_id": uid("linear:" + key), "external_key": key,
            "external_url": f"https://linear.app/{slug}/issue/{key.lower()}",
            "branch": f"{key.lower()}-{title.lower().replace(' ', '-')}" if n % 2 else None,
            "labels": values.jsonb_text(rnd.sample(LABELS, rnd.randrange(4))),
            "due_date": (BASE.date() + datetime.timedelta(days=7 + n)).isoformat() if n % 4 == 0 else None,
            "created_at": ts(100 + i * 13), "updated_at": ts(100 + i * 13 + rnd.randrange(600)),
            "deleted_at": ts(2000) if n == 7 else None})
    for i in range(12):
        slug = "astrolabe" if i < 8 else "nebula"
        device, kind = DEVICES[i % len(DEVICES)]
        owner = members[slug][i % len(members[slug])]
        task = task_ids[slug][i * 3 % len(task_ids[slug])] if i % 4 != 3 else None
        repo = repos[slug][i % len(repos[slug])]
        has_pr = i % 3 != 0
        out["workspaces"].append({
            "id": uid(f"workspace:{i}"), "organization_id": uid("org:" + slug), "task_id": task,
            "repository_id": repo, "owner_id": owner, "type": kind, "device_name": device,
            "status": ["active", "idle", "archived"][i % 3],
            "git_branch": f"feature/ws-{i}",
            "git_status": values.jsonb_text({"uncommitted": i % 4, "ahead": i % 3, "behind": i % 2}),
            "pr_url": f"https://github.com/astrolabe-labs/astrolabe/pull/{40 + i}" if has_pr else None,
            "pr_number": str(40 + i) if has_pr else None,
            "pr_status": ["open", "draft", "merged", "closed"][i % 4] if has_pr else None,
            "last_activity_at": ts(3000 + i * 30),
            "created_at": ts(2500 + i), "updated_at": ts(3000 + i * 30)})
    return out


def bench_tasks(n):
    """n tasks of about 1 KB each in the first organization, generated quickly."""
    org = uid("org:astrolabe")
    repos = [uid(f"repo:astrolabe:{r[1]}") for r in REPOS if r[0] == "astrolabe"]
    users = [uid("user:" + u[0]) for u in USERS if "astrolabe" in u[2]]
    body = (LOREM * 6)[:300]
    # uuid5 per row is the slow part of generation; a fixed prefix keeps ids valid,
    # unique and deterministic while costing one format per row.
    for i in range(n):
        status, color = STATUSES[i % 6]
        key = f"BEN-{i + 1}"
        yield {
            "id": f"b0000000-0000-4000-8000-{i:012d}", "organization_id": org,
            "repository_id": repos[i % len(repos)],
            "title": f"{VERBS[i % len(VERBS)]} {THINGS[i % len(THINGS)]} #{i + 1}",
            "description": body, "status": status, "status_color": color,
            "priority": str(i % 5), "assignee_id": users[i % len(users)],
            "external_provider": "linear", "external_id": f"lin_{i:09d}", "external_key": key,
            "external_url": f"https://linear.app/astrolabe/issue/ben-{i + 1}",
            "branch": f"ben-{i + 1}-work", "labels": '["bench", "sync"]', "due_date": None,
            "created_at": ts(i % 100000), "updated_at": ts(i % 100000), "deleted_at": None}


def load(store, auth_service, spec):
    """spec: 'demo' or 'bench:N'. Seeds only an empty database."""
    if spec is None or not store.is_empty():
        return
    kind, _, count = spec.partition(":")
    if kind not in ("demo", "bench"):
        raise SystemExit(f"unknown seed {spec!r} (use demo or bench:N)")
    rows = demo_rows()
    pw = auth.hash_password(DEMO_PASSWORD)
    for table, table_rows in rows.items():
        if table == "users":
            store.bulk_insert(table, [dict(r, password_hash=pw) for r in table_rows], ["password_hash"])
        else:
            store.bulk_insert(table, table_rows)
    auth_service.add_personal_token(uid("user:demo@example.com"), DEMO_PAT, "demo")
    if kind == "bench":
        store.bulk_insert("tasks", bench_tasks(int(count or 0)))
