from services.medle.domain.access import Caller, MemberRole, Role

LILLE, BORDEAUX, STRASBOURG = 1, 2, 3


def caller(*roles: str, memberships=None, scope=()) -> Caller:
    return Caller("someone", frozenset(roles), memberships or {}, frozenset(scope))


def test_an_operator_reads_and_writes_their_own_hospital_only():
    operator = caller(Role.OPERATOR, memberships={LILLE: MemberRole.OPERATOR})
    assert operator.readable_hospitals() == {LILLE}
    assert operator.may_write(LILLE) and not operator.may_write(BORDEAUX)
    assert not operator.may_manage(LILLE)


def test_a_membership_without_a_staff_role_in_the_token_gives_nothing():
    assert caller(Role.REPORT, memberships={LILLE: MemberRole.OPERATOR}).readable_hospitals() == frozenset()
    assert not caller(memberships={LILLE: MemberRole.HOSPITAL_ADMIN}).may_write(LILLE)


def test_a_hospital_admin_manages_operators_but_names_no_admin():
    admin = caller(Role.HOSPITAL_ADMIN, memberships={LILLE: MemberRole.HOSPITAL_ADMIN})
    assert admin.may_manage(LILLE) and not admin.may_manage(BORDEAUX)
    assert admin.may_grant(LILLE, MemberRole.OPERATOR)
    assert not admin.may_grant(LILLE, MemberRole.HOSPITAL_ADMIN)


def test_the_token_role_and_the_membership_role_must_both_be_admin_to_manage():
    assert not caller(Role.HOSPITAL_ADMIN, memberships={LILLE: MemberRole.OPERATOR}).may_manage(LILLE)
    assert not caller(Role.OPERATOR, memberships={LILLE: MemberRole.HOSPITAL_ADMIN}).may_manage(LILLE)


def test_a_regional_supervisor_reads_their_scope_and_writes_nothing():
    supervisor = caller(Role.REGIONAL, scope={LILLE, STRASBOURG})
    assert supervisor.readable_hospitals() == {LILLE, STRASBOURG}
    assert not supervisor.may_write(LILLE)
    assert supervisor.reportable_hospitals() == {LILLE, STRASBOURG} and supervisor.nominative


def test_ministries_read_national_reports_with_small_cells_hidden_and_no_act():
    ministry = caller(Role.REPORT)
    assert ministry.readable_hospitals() == frozenset()
    assert ministry.reportable_hospitals() is None and not ministry.nominative


def test_the_suites_admin_sees_everything_in_full():
    admin = caller(Role.ADMIN)
    assert admin.readable_hospitals() is None and admin.reportable_hospitals() is None
    assert admin.may_write(BORDEAUX) and admin.may_manage(BORDEAUX) and admin.nominative


def test_a_principal_without_medle_role_may_not_report():
    assert not caller().may_report
    assert caller(Role.OPERATOR).may_report
