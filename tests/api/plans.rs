//! Every dashboard filter and order, and the reference look-up, is served by an index: the
//! plans of their statements never read `referral` from end to end. On PostgreSQL sequential
//! scans are priced out (`enable_seqscan = off`), so a plan that still has one has no index to
//! use; on SQLite a `SCAN referral` without an index is a full scan.

use crs_api::db::{dashboard, referrals, work_queue};
use crs_api::domain::actor::UserId;
use crs_api::domain::delivery::{AppointmentKind, AppointmentQuery};
use crs_api::domain::journey::ReferralStatus;
use crs_api::domain::page::PageCursor;
use crs_api::domain::referral::{
    DashboardCursor, OrderField, OrderKey, ReferralAccess, ReferralOrder, ReferralQuery, Search,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use uuid::Uuid;

use crate::support::{Options, TestApp};
use crate::synthetic::seed;

/// The plan of `statement`, one line per step.
async fn plan(db: &DatabaseConnection, statement: Statement) -> String {
    let backend = db.get_database_backend();
    let explain = match backend {
        DbBackend::Postgres => "EXPLAIN ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let txn = db.begin().await.unwrap();
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
    }
    let rows = txn
        .query_all_raw(Statement {
            sql: format!("{explain}{}", statement.sql),
            ..statement
        })
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|row| match backend {
            DbBackend::Postgres => row.try_get_by_index::<String>(0).unwrap(),
            _ => row.try_get::<String>("", "detail").unwrap(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn reads_every(table: &str, plan: &str) -> bool {
    plan.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let postgres = words.windows(4).any(|w| w == ["Seq", "Scan", "on", table]);
        let sqlite = words.windows(2).any(|w| w == ["SCAN", table]) && !line.contains("INDEX");
        postgres || sqlite
    })
}

fn reads_every_referral(plan: &str) -> bool {
    reads_every("referral", plan)
}

async fn contract_ids(db: &DatabaseConnection, how_many: usize) -> Vec<Uuid> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM contract WHERE reference LIKE 'NAT-%' ORDER BY reference",
        ))
        .await
        .unwrap();
    rows.iter()
        .take(how_many)
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect()
}

#[tokio::test]
async fn every_dashboard_filter_and_the_reference_look_up_use_an_index() {
    let app = TestApp::spawn_with(Options::empty()).await;
    seed(&app, 300).await;
    let db = &app.db;
    let backend = db.get_database_backend();
    if backend == DbBackend::Sqlite {
        db.execute_unprepared("ANALYZE").await.unwrap();
    }
    let accesses = [
        ReferralAccess::Contracts(contract_ids(db, 12).await),
        ReferralAccess::Contracts(contract_ids(db, 1).await),
        ReferralAccess::AllSent,
        ReferralAccess::Own(UserId("pp-durham-north-1".into())),
    ];
    let category = Uuid::parse_str("428ee70f-3001-4399-95a6-ad25eaaede16").unwrap();
    let day = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let queries = [
        ReferralQuery::default(),
        ReferralQuery {
            statuses: Some(vec![ReferralStatus::Sent, ReferralStatus::Assigned]),
            ..Default::default()
        },
        ReferralQuery {
            open: Some(true),
            ..Default::default()
        },
        ReferralQuery {
            open: Some(false),
            ..Default::default()
        },
        ReferralQuery {
            unassigned: Some(true),
            ..Default::default()
        },
        ReferralQuery {
            assigned_to: Some(UserId("sp-someone-1".into())),
            ..Default::default()
        },
        ReferralQuery {
            search: Search::parse("Smith"),
            ..Default::default()
        },
        ReferralQuery {
            search: Search::parse("Amelia Jones"),
            ..Default::default()
        },
        ReferralQuery {
            search: Search::parse("AB1234AC"),
            ..Default::default()
        },
        ReferralQuery {
            contract_reference: Some("NAT-ACC-J".into()),
            ..Default::default()
        },
        ReferralQuery {
            service_category_id: Some(category),
            ..Default::default()
        },
        ReferralQuery {
            sent_from: Some(day),
            sent_before: Some(day + chrono::Duration::days(30)),
            ..Default::default()
        },
        ReferralQuery {
            crn: Some("X123456".into()),
            ..Default::default()
        },
        ReferralQuery {
            search: Search::parse("x123456"),
            ..Default::default()
        },
        ReferralQuery {
            statuses: Some(vec![ReferralStatus::AssessmentCompleted]),
            ..Default::default()
        },
    ];
    // Every order, both ways, on the whole dashboard and on open referrals.
    let mut queries = queries.to_vec();
    for field in OrderField::ALL {
        for descending in [false, true] {
            for open in [None, Some(true)] {
                queries.push(ReferralQuery {
                    open,
                    order: ReferralOrder { field, descending },
                    ..Default::default()
                });
            }
        }
    }
    let cursor_of = |order: ReferralOrder| DashboardCursor {
        order,
        key: match order.field {
            OrderField::SentAt => OrderKey::Time(day),
            OrderField::CompletionDeadline => OrderKey::Day(day.date_naive()),
            OrderField::Reference => OrderKey::Text("AB1234AC".into()),
            OrderField::Surname => OrderKey::Text("smith".into()),
        },
        id: Uuid::nil(),
    };
    let mut checked = 0;
    for access in &accesses {
        for query in &queries {
            let cursor = cursor_of(query.order);
            for after in [None, Some(&cursor)] {
                let page = plan(
                    db,
                    dashboard::page_statement(backend, access, query, after, 21),
                )
                .await;
                assert!(
                    !reads_every_referral(&page),
                    "page of {access:?} {query:?} reads every referral:\n{page}"
                );
                checked += 1;
            }
            let count = plan(db, dashboard::count_statement(backend, access, query)).await;
            assert!(
                !reads_every_referral(&count),
                "count of {access:?} {query:?} reads every referral:\n{count}"
            );
        }
        let lookup = plan(
            db,
            referrals::reference_statement(backend, access, "AB1234AC"),
        )
        .await;
        assert!(
            !reads_every_referral(&lookup),
            "reference look-up:\n{lookup}"
        );
    }
    assert_eq!(checked, accesses.len() * queries.len() * 2);
}

/// On PostgreSQL a provider's `totalCount` binds its contracts and its statuses as two arrays:
/// the generic plan reads each once per execution (an `IN` list of parameters is an array built
/// again for every counter row tested), and one prepared statement serves every provider,
/// however many contracts they have. SQLite, which has no arrays, keeps the `IN` lists.
#[test]
fn a_provider_count_binds_its_contracts_as_one_array_on_postgres() {
    let query = ReferralQuery::default();
    let contracts = |n: usize| ReferralAccess::Contracts((0..n).map(|_| Uuid::new_v4()).collect());
    let (few, many) = (contracts(2), contracts(33));
    let postgres = |access| dashboard::count_statement(DbBackend::Postgres, access, &query);
    let (small, large) = (postgres(&few), postgres(&many));
    assert_eq!(
        small.sql, large.sql,
        "the count's text depends on the contracts"
    );
    assert_eq!(large.values.map(|v| v.0.len()), Some(2), "{}", large.sql);
    assert!(
        large.sql.contains("= ANY(CAST($1 AS text[]))")
            && large.sql.contains("= ANY(CAST($2 AS uuid[]))"),
        "{}",
        large.sql
    );

    let sqlite = dashboard::count_statement(DbBackend::Sqlite, &many, &query);
    assert!(sqlite.sql.contains(" IN ("), "{}", sqlite.sql);
    assert_eq!(
        sqlite.values.map(|v| v.0.len()),
        Some(33 + ReferralStatus::ALL.len() - 1),
        "{}",
        sqlite.sql
    );
}

/// On PostgreSQL a provider's page reads its contracts from one bound array, each through one
/// branch joined laterally: the statement's text (and so its prepared statement and plan) is
/// the same for two contracts as for thirty-three, where one `UNION ALL` branch per contract
/// made a statement per number of contracts, built, sent and planned branch by branch.
/// SQLite, which has neither arrays nor lateral joins, keeps the union.
#[test]
fn a_provider_page_reads_its_contracts_from_one_array_on_postgres() {
    let query = ReferralQuery::default();
    let contracts = |n: usize| ReferralAccess::Contracts((0..n).map(|_| Uuid::new_v4()).collect());
    let (few, many) = (contracts(2), contracts(33));
    let cursor = DashboardCursor {
        order: query.order,
        key: OrderKey::Time(chrono::Utc::now()),
        id: Uuid::nil(),
    };
    for after in [None, Some(&cursor)] {
        let postgres =
            |access| dashboard::page_statement(DbBackend::Postgres, access, &query, after, 21);
        let (small, large) = (postgres(&few), postgres(&many));
        assert_eq!(
            small.sql, large.sql,
            "the page's text depends on the contracts"
        );
        assert!(
            large.sql.contains("unnest(CAST($") && large.sql.contains("LATERAL"),
            "{}",
            large.sql
        );
        assert!(!large.sql.contains("UNION"), "{}", large.sql);
    }
    let sqlite = dashboard::page_statement(DbBackend::Sqlite, &many, &query, None, 21);
    assert_eq!(
        sqlite.sql.matches("UNION ALL").count(),
        32,
        "{}",
        sqlite.sql
    );
}

/// A provider's newest page is read contract by contract from the index alone: the status
/// filter is in the index entry, so the table is visited only for the rows the page returns
/// (an index-only scan on PostgreSQL once the table is vacuumed, a covering index on SQLite).
#[tokio::test]
async fn a_provider_page_picks_its_rows_from_the_index_alone() {
    let app = TestApp::spawn_with(Options::empty()).await;
    seed(&app, 300).await;
    let db = &app.db;
    let backend = db.get_database_backend();
    db.execute_unprepared(match backend {
        DbBackend::Postgres => "VACUUM ANALYZE referral",
        _ => "ANALYZE",
    })
    .await
    .unwrap();
    let access = ReferralAccess::Contracts(contract_ids(db, 12).await);
    let page = plan(
        db,
        dashboard::page_statement(backend, &access, &ReferralQuery::default(), None, 21),
    )
    .await;
    let from_the_index = match backend {
        DbBackend::Postgres => {
            "Index Only Scan Backward using referral_contract_id_listed_at_id_status_idx"
        }
        _ => "USING COVERING INDEX referral_contract_id_listed_at_id_status_idx",
    };
    assert!(page.contains(from_the_index), "{page}");
}

#[tokio::test]
async fn the_work_queue_reads_appointments_through_an_index() {
    let app = TestApp::spawn_with(Options::empty()).await;
    seed(&app, 300).await;
    let db = &app.db;
    let backend = db.get_database_backend();
    if backend == DbBackend::Sqlite {
        db.execute_unprepared("ANALYZE").await.unwrap();
    }
    let now = chrono::Utc::now();
    let week = AppointmentQuery {
        from: Some(now),
        to: Some(now + chrono::Duration::days(7)),
        ..Default::default()
    };
    let queries = [
        week.clone(),
        AppointmentQuery {
            feedback_due: Some(true),
            to: Some(now),
            ..Default::default()
        },
        AppointmentQuery {
            kind: Some(AppointmentKind::Session),
            assigned_to: Some(UserId("sp-someone-1".into())),
            ..week
        },
    ];
    let cursor = PageCursor {
        listed_at: now,
        id: Uuid::nil(),
    };
    for access in [
        ReferralAccess::Contracts(contract_ids(db, 12).await),
        ReferralAccess::AllSent,
    ] {
        for query in &queries {
            for after in [None, Some(cursor)] {
                let page = plan(
                    db,
                    work_queue::page_statement(backend, &access, query, now, after, 21),
                )
                .await;
                assert!(
                    !reads_every("appointment", &page),
                    "work queue of {access:?} {query:?} reads every appointment:
{page}"
                );
            }
        }
    }
}
