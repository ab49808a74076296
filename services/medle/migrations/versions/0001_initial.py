"""medle: hospitals, members, askers, acts, staffing, tariffs, weighting, kit tables

Revision ID: 0001
Revises:
Create Date: 2026-11-29 08:57:51.122941

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.audit import append_only_sql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rollups of reports (models.act_counts, pv_counts, pv_sizes), kept from the transition tables of
# every statement on acts: one INSERT … ON CONFLICT per statement, rows locked in key order.
ROLLUP_STATEMENTS = """
CREATE FUNCTION medle.act_rollup_statements(source text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $fn$ SELECT ARRAY[
  format('
    INSERT INTO medle.act_counts AS c (
        month, hospital_id, profile, acts, weighted_minutes, unweighted_acts, sans_plainte,
        act_type_somatique, act_type_psychiatrique, act_type_examen_externe,
        act_type_levee_de_corps, act_type_autopsie, act_type_anthropologie,
        act_type_odontologie, act_type_none, examination_biologie, examination_imagerie,
        examination_toxicologie, examination_anapath, examination_genetique,
        examination_radiographie, examination_panoramique_dentaire, examination_autre,
        period_jour_ouvrable, period_soiree, period_nuit_profonde, period_samedi,
        period_dimanche_ferie, itt_0, itt_1_8, itt_9_30, itt_31_90, itt_91_365)
    SELECT date_trunc(''month'', examined_on)::date, hospital_id, profile, sum(sign),
           sum(sign * coalesce(weighted_minutes, 0)), sum(sign * (weighted_minutes IS NULL)::int),
           sum(sign * (sans_plainte)::int),
           sum(sign * (''somatique'' = ANY(act_types))::int),
           sum(sign * (''psychiatrique'' = ANY(act_types))::int),
           sum(sign * (''examen_externe'' = ANY(act_types))::int),
           sum(sign * (''levee_de_corps'' = ANY(act_types))::int),
           sum(sign * (''autopsie'' = ANY(act_types))::int),
           sum(sign * (''anthropologie'' = ANY(act_types))::int),
           sum(sign * (''odontologie'' = ANY(act_types))::int),
           sum(sign * (cardinality(act_types) = 0)::int),
           sum(sign * (''biologie'' = ANY(examinations))::int),
           sum(sign * (''imagerie'' = ANY(examinations))::int),
           sum(sign * (''toxicologie'' = ANY(examinations))::int),
           sum(sign * (''anapath'' = ANY(examinations))::int),
           sum(sign * (''genetique'' = ANY(examinations))::int),
           sum(sign * (''radiographie'' = ANY(examinations))::int),
           sum(sign * (''panoramique_dentaire'' = ANY(examinations))::int),
           sum(sign * (''autre'' = ANY(examinations))::int),
           sum(sign * (period_of_day = ''jour_ouvrable'')::int),
           sum(sign * (period_of_day = ''soiree'')::int),
           sum(sign * (period_of_day = ''nuit_profonde'')::int),
           sum(sign * (period_of_day = ''samedi'')::int),
           sum(sign * (period_of_day = ''dimanche_ferie'')::int),
           sum(sign * (coalesce(itt_days BETWEEN 0 AND 0, false))::int),
           sum(sign * (coalesce(itt_days BETWEEN 1 AND 8, false))::int),
           sum(sign * (coalesce(itt_days BETWEEN 9 AND 30, false))::int),
           sum(sign * (coalesce(itt_days BETWEEN 31 AND 90, false))::int),
           sum(sign * (coalesce(itt_days BETWEEN 91 AND 365, false))::int)
    FROM (%s) AS d WHERE deleted_at IS NULL
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (month, hospital_id, profile) DO UPDATE SET
    acts = c.acts + excluded.acts,
    weighted_minutes = c.weighted_minutes + excluded.weighted_minutes,
    unweighted_acts = c.unweighted_acts + excluded.unweighted_acts,
    sans_plainte = c.sans_plainte + excluded.sans_plainte,
    act_type_somatique = c.act_type_somatique + excluded.act_type_somatique,
    act_type_psychiatrique = c.act_type_psychiatrique + excluded.act_type_psychiatrique,
    act_type_examen_externe = c.act_type_examen_externe + excluded.act_type_examen_externe,
    act_type_levee_de_corps = c.act_type_levee_de_corps + excluded.act_type_levee_de_corps,
    act_type_autopsie = c.act_type_autopsie + excluded.act_type_autopsie,
    act_type_anthropologie = c.act_type_anthropologie + excluded.act_type_anthropologie,
    act_type_odontologie = c.act_type_odontologie + excluded.act_type_odontologie,
    act_type_none = c.act_type_none + excluded.act_type_none,
    examination_biologie = c.examination_biologie + excluded.examination_biologie,
    examination_imagerie = c.examination_imagerie + excluded.examination_imagerie,
    examination_toxicologie = c.examination_toxicologie + excluded.examination_toxicologie,
    examination_anapath = c.examination_anapath + excluded.examination_anapath,
    examination_genetique = c.examination_genetique + excluded.examination_genetique,
    examination_radiographie = c.examination_radiographie + excluded.examination_radiographie,
    examination_panoramique_dentaire = c.examination_panoramique_dentaire + excluded.examination_panoramique_dentaire,
    examination_autre = c.examination_autre + excluded.examination_autre,
    period_jour_ouvrable = c.period_jour_ouvrable + excluded.period_jour_ouvrable,
    period_soiree = c.period_soiree + excluded.period_soiree,
    period_nuit_profonde = c.period_nuit_profonde + excluded.period_nuit_profonde,
    period_samedi = c.period_samedi + excluded.period_samedi,
    period_dimanche_ferie = c.period_dimanche_ferie + excluded.period_dimanche_ferie,
    itt_0 = c.itt_0 + excluded.itt_0,
    itt_1_8 = c.itt_1_8 + excluded.itt_1_8,
    itt_9_30 = c.itt_9_30 + excluded.itt_9_30,
    itt_31_90 = c.itt_31_90 + excluded.itt_31_90,
    itt_91_365 = c.itt_91_365 + excluded.itt_91_365', source),
  format('
    WITH changed AS (  -- acts gained (+) or lost (-) per PV and day; an unchanged act cancels out
        SELECT hospital_id, pv_number, examined_on, sum(sign) AS acts
        FROM (%s) AS d WHERE deleted_at IS NULL AND pv_number IS NOT NULL
        GROUP BY 1, 2, 3 HAVING sum(sign) <> 0),
    before AS (
        SELECT p.hospital_id, p.pv_number, p.first_on, p.acts FROM medle.pv_counts AS p
        WHERE (p.hospital_id, p.pv_number) IN (SELECT hospital_id, pv_number FROM changed)),
    delta AS (  -- a PV that lost an act may have lost its first one: its first day is looked up again
        SELECT c.hospital_id, c.pv_number, sum(c.acts) AS acts,
               CASE WHEN bool_or(c.acts < 0) THEN coalesce((
                        SELECT min(a.examined_on) FROM medle.acts AS a WHERE a.pv_number = c.pv_number
                        AND a.hospital_id = c.hospital_id AND a.deleted_at IS NULL), min(b.first_on))
                    ELSE least(min(b.first_on), min(c.examined_on)) END AS first_on
        FROM changed AS c LEFT JOIN before AS b USING (hospital_id, pv_number)
        GROUP BY c.hospital_id, c.pv_number),
    after AS (
        INSERT INTO medle.pv_counts AS p (hospital_id, pv_number, first_on, acts)
        SELECT hospital_id, pv_number, first_on, acts FROM delta ORDER BY 1, 2
        ON CONFLICT (hospital_id, pv_number) DO UPDATE SET acts = p.acts + excluded.acts, first_on = excluded.first_on
        RETURNING p.hospital_id, p.first_on, p.acts),
    moves AS (
        SELECT hospital_id, first_on, least(acts, 5) AS size, 1 AS pvs FROM after WHERE acts > 0
        UNION ALL
        SELECT hospital_id, first_on, least(acts, 5), -1 FROM before WHERE acts > 0)
    INSERT INTO medle.pv_sizes AS s (month, hospital_id, size, pvs)
    SELECT date_trunc(''month'', first_on)::date, hospital_id, size, sum(pvs) FROM moves
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (month, hospital_id, size) DO UPDATE SET pvs = s.pvs + excluded.pvs', source)
] $fn$
"""

COUNT_ACTS = """
CREATE FUNCTION medle.count_acts() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    statement text;
BEGIN
    FOREACH statement IN ARRAY medle.act_rollup_statements(CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM old_rows'
        ELSE 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows' END)
    LOOP
        EXECUTE statement;
    END LOOP;
    RETURN NULL;
END $fn$
"""

REBUILD_ROLLUPS = """
CREATE FUNCTION medle.rebuild_act_rollups() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    statement text;
BEGIN
    DELETE FROM medle.act_counts;
    DELETE FROM medle.pv_counts;
    DELETE FROM medle.pv_sizes;
    FOREACH statement IN ARRAY medle.act_rollup_statements('SELECT 1 AS sign, * FROM medle.acts') LOOP
        EXECUTE statement;
    END LOOP;
END $fn$
"""

TRIGGERS = [
    "CREATE TRIGGER acts_counted_on_insert AFTER INSERT ON medle.acts REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION medle.count_acts()",
    "CREATE TRIGGER acts_counted_on_update AFTER UPDATE ON medle.acts REFERENCING OLD TABLE AS old_rows "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION medle.count_acts()",
    "CREATE TRIGGER acts_counted_on_delete AFTER DELETE ON medle.acts REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION medle.count_acts()",
]


def upgrade() -> None:
    """Upgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "act_counts",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("acts", sa.Integer(), nullable=False),
        sa.Column("weighted_minutes", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("unweighted_acts", sa.Integer(), nullable=False),
        sa.Column("sans_plainte", sa.Integer(), nullable=False),
        sa.Column("act_type_somatique", sa.Integer(), nullable=False),
        sa.Column("act_type_psychiatrique", sa.Integer(), nullable=False),
        sa.Column("act_type_examen_externe", sa.Integer(), nullable=False),
        sa.Column("act_type_levee_de_corps", sa.Integer(), nullable=False),
        sa.Column("act_type_autopsie", sa.Integer(), nullable=False),
        sa.Column("act_type_anthropologie", sa.Integer(), nullable=False),
        sa.Column("act_type_odontologie", sa.Integer(), nullable=False),
        sa.Column("act_type_none", sa.Integer(), nullable=False),
        sa.Column("examination_biologie", sa.Integer(), nullable=False),
        sa.Column("examination_imagerie", sa.Integer(), nullable=False),
        sa.Column("examination_toxicologie", sa.Integer(), nullable=False),
        sa.Column("examination_anapath", sa.Integer(), nullable=False),
        sa.Column("examination_genetique", sa.Integer(), nullable=False),
        sa.Column("examination_radiographie", sa.Integer(), nullable=False),
        sa.Column("examination_panoramique_dentaire", sa.Integer(), nullable=False),
        sa.Column("examination_autre", sa.Integer(), nullable=False),
        sa.Column("period_jour_ouvrable", sa.Integer(), nullable=False),
        sa.Column("period_soiree", sa.Integer(), nullable=False),
        sa.Column("period_nuit_profonde", sa.Integer(), nullable=False),
        sa.Column("period_samedi", sa.Integer(), nullable=False),
        sa.Column("period_dimanche_ferie", sa.Integer(), nullable=False),
        sa.Column("itt_0", sa.Integer(), nullable=False),
        sa.Column("itt_1_8", sa.Integer(), nullable=False),
        sa.Column("itt_9_30", sa.Integer(), nullable=False),
        sa.Column("itt_31_90", sa.Integer(), nullable=False),
        sa.Column("itt_91_365", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "hospital_id", "profile", name=op.f("pk_act_counts")),
        schema="medle",
        comment="live acts per month × hospital × profile; kept by trigger, rebuilt by medle.rebuild_act_rollups()",
    )
    op.create_table(
        "askers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("departement", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_askers")),
        schema="medle",
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="medle",
    )
    op.create_table(
        "hospitals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("finess", sa.Text(), nullable=False),
        sa.Column("siret", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("commune", sa.Text(), nullable=False),
        sa.Column("departement", sa.Text(), nullable=False),
        sa.Column("region", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("can_do_post_mortem", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospitals")),
        sa.UniqueConstraint("finess", name=op.f("uq_hospitals_finess")),
        schema="medle",
    )
    op.create_index(op.f("ix_hospitals_region"), "hospitals", ["region"], unique=False, schema="medle")
    op.create_index(op.f("ix_hospitals_siret"), "hospitals", ["siret"], unique=False, schema="medle")
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
        schema="medle",
    )
    op.create_table(
        "pv_counts",
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("pv_number", sa.Text(), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("acts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hospital_id", "pv_number", name=op.f("pk_pv_counts")),
        schema="medle",
        comment="live acts per PV of a hospital; kept by trigger",
    )
    op.create_table(
        "pv_sizes",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pvs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "hospital_id", "size", name=op.f("pk_pv_sizes")),
        schema="medle",
        comment="PVs per number of acts; kept by trigger from pv_counts",
    )
    op.create_table(
        "supervisor_regions",
        sa.Column("sub", sa.Text(), nullable=False),
        sa.Column("region", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sub", "region", name=op.f("pk_supervisor_regions")),
        schema="medle",
    )
    op.create_table(
        "tariffs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("act_type", sa.Text(), nullable=True),
        sa.Column("profile", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_tariffs_valid_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
        schema="medle",
    )
    op.create_table(
        "weighting_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("table", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weighting_versions")),
        schema="medle",
    )
    op.create_table(
        "acts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("internal_number", sa.Text(), nullable=False),
        sa.Column("pv_number", sa.Text(), nullable=True),
        sa.Column("asker_id", sa.BigInteger(), nullable=True),
        sa.Column("requisition_date", sa.Date(), nullable=True),
        sa.Column("sans_plainte", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("examined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("examined_on", sa.Date(), nullable=False),
        sa.Column("period_of_day", sa.Text(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("act_types", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("examinations", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column(
            "violence_natures", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column("attack", sa.Text(), nullable=True),
        sa.Column(
            "violence_contexts", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("person_age_band", sa.Text(), nullable=True),
        sa.Column("person_gender", sa.Text(), nullable=True),
        sa.Column("person_present", sa.Boolean(), nullable=True),
        sa.Column("itt_days", sa.Integer(), nullable=True),
        sa.Column("death_cause", sa.Text(), nullable=True),
        sa.Column("distance_band", sa.Text(), nullable=True),
        sa.Column("duration_band", sa.Text(), nullable=True),
        sa.Column("weighted_minutes", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column(
            "search_text",
            sa.Text(),
            sa.Computed(
                "public.f_unaccent(lower(internal_number || ' ' || coalesce(pv_number, '') || ' ' "
                "|| coalesce(attack, '')))",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("itt_days BETWEEN 0 AND 365", name=op.f("ck_acts_itt_days_range")),
        sa.ForeignKeyConstraint(["asker_id"], ["medle.askers.id"], name=op.f("fk_acts_asker_id_askers")),
        sa.ForeignKeyConstraint(["hospital_id"], ["medle.hospitals.id"], name=op.f("fk_acts_hospital_id_hospitals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acts")),
        schema="medle",
    )
    op.create_index("ix_acts_asker_id_examined_at", "acts", ["asker_id", "examined_at"], unique=False, schema="medle")
    op.create_index("ix_acts_examined_at_id", "acts", ["examined_at", "id"], unique=False, schema="medle")
    op.create_index(
        "ix_acts_examined_on_hospital_id", "acts", ["examined_on", "hospital_id"], unique=False, schema="medle"
    )
    op.create_index(
        "ix_acts_hospital_id_examined_at_id", "acts", ["hospital_id", "examined_at", "id"], unique=False, schema="medle"
    )
    op.create_index(
        "ix_acts_hospital_id_profile_examined_at_id",
        "acts",
        ["hospital_id", "profile", "examined_at", "id"],
        unique=False,
        schema="medle",
    )
    op.create_index("ix_acts_pv_number", "acts", ["pv_number"], unique=False, schema="medle")
    op.create_index(
        "ix_acts_search_text",
        "acts",
        ["search_text"],
        unique=False,
        schema="medle",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index(
        "uq_acts_hospital_id_internal_number",
        "acts",
        ["hospital_id", "internal_number"],
        unique=True,
        schema="medle",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "hospital_members",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("sub", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_id"],
            ["medle.hospitals.id"],
            name=op.f("fk_hospital_members_hospital_id_hospitals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_members")),
        sa.UniqueConstraint("hospital_id", "sub", name=op.f("uq_hospital_members_hospital_id_sub")),
        schema="medle",
    )
    op.create_index(op.f("ix_hospital_members_sub"), "hospital_members", ["sub"], unique=False, schema="medle")
    op.create_table(
        "staffing",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("doctors", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("secretaries", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("nurses", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("executives", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("auditorium_agents", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("others", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("doctors_target", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("secretaries_target", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("nurses_target", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("executives_target", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("auditorium_agents_target", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("others_target", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("extract(day FROM month) = 1", name=op.f("ck_staffing_month_is_first_day")),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["medle.hospitals.id"], name=op.f("fk_staffing_hospital_id_hospitals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staffing")),
        sa.UniqueConstraint("hospital_id", "month", name=op.f("uq_staffing_hospital_id_month")),
        schema="medle",
    )
    op.create_table(
        "staffing_revisions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("etp", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_id"],
            ["medle.hospitals.id"],
            name=op.f("fk_staffing_revisions_hospital_id_hospitals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staffing_revisions")),
        schema="medle",
    )
    op.create_index(
        "ix_staffing_revisions_hospital_id_month",
        "staffing_revisions",
        ["hospital_id", "month"],
        unique=False,
        schema="medle",
    )
    # ### end Alembic commands ###
    for statement in append_only_sql("medle"):
        op.execute(statement)
    for statement in (ROLLUP_STATEMENTS, COUNT_ACTS, REBUILD_ROLLUPS, *TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS acts_counted_on_{name} ON medle.acts")
    op.execute("DROP FUNCTION IF EXISTS medle.rebuild_act_rollups()")
    op.execute("DROP FUNCTION IF EXISTS medle.count_acts()")
    op.execute("DROP FUNCTION IF EXISTS medle.act_rollup_statements(text)")
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON medle.audit_log")
    op.execute("DROP FUNCTION IF EXISTS medle.audit_log_is_append_only()")
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index("ix_staffing_revisions_hospital_id_month", table_name="staffing_revisions", schema="medle")
    op.drop_table("staffing_revisions", schema="medle")
    op.drop_table("staffing", schema="medle")
    op.drop_index(op.f("ix_hospital_members_sub"), table_name="hospital_members", schema="medle")
    op.drop_table("hospital_members", schema="medle")
    op.drop_index(
        "uq_acts_hospital_id_internal_number",
        table_name="acts",
        schema="medle",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index(
        "ix_acts_search_text",
        table_name="acts",
        schema="medle",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.drop_index("ix_acts_pv_number", table_name="acts", schema="medle")
    op.drop_index("ix_acts_hospital_id_profile_examined_at_id", table_name="acts", schema="medle")
    op.drop_index("ix_acts_hospital_id_examined_at_id", table_name="acts", schema="medle")
    op.drop_index("ix_acts_examined_on_hospital_id", table_name="acts", schema="medle")
    op.drop_index("ix_acts_examined_at_id", table_name="acts", schema="medle")
    op.drop_index("ix_acts_asker_id_examined_at", table_name="acts", schema="medle")
    op.drop_table("acts", schema="medle")
    op.drop_table("weighting_versions", schema="medle")
    op.drop_table("tariffs", schema="medle")
    op.drop_table("supervisor_regions", schema="medle")
    op.drop_table("pv_sizes", schema="medle")
    op.drop_table("pv_counts", schema="medle")
    op.drop_table("idempotency_keys", schema="medle")
    op.drop_index(op.f("ix_hospitals_siret"), table_name="hospitals", schema="medle")
    op.drop_index(op.f("ix_hospitals_region"), table_name="hospitals", schema="medle")
    op.drop_table("hospitals", schema="medle")
    op.drop_table("audit_log", schema="medle")
    op.drop_table("askers", schema="medle")
    op.drop_table("act_counts", schema="medle")
    # ### end Alembic commands ###
