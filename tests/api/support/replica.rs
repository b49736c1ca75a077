//! A PostgreSQL primary and its streaming replica on loopback, made for one test: `initdb`,
//! `pg_basebackup -R`, both started with `pg_ctl` from the machine's PostgreSQL (as the
//! `postgres` user when the tests run as root, since PostgreSQL refuses to run as root), and
//! stopped and removed when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// The database both servers hold.
const DATABASE: &str = "crs";

pub struct StreamingReplica {
    bin: PathBuf,
    dir: tempfile::TempDir,
    primary_port: u16,
    replica_port: u16,
    as_postgres: bool,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn output(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl StreamingReplica {
    /// Makes and starts the primary (with an empty database `crs`) and its replica.
    pub fn start() -> StreamingReplica {
        let bin = PathBuf::from(output(Command::new("pg_config").arg("--bindir")));
        let as_postgres = output(Command::new("id").arg("-u")) == "0";
        let dir = tempfile::Builder::new()
            .prefix("crs-replica-")
            .tempdir()
            .expect("temporary folder");
        if as_postgres {
            output(Command::new("chown").arg("postgres:").arg(dir.path()));
        }
        let cluster = StreamingReplica {
            bin,
            dir,
            primary_port: free_port(),
            replica_port: free_port(),
            as_postgres,
        };
        let primary = cluster.path("primary");
        cluster.run(
            "initdb",
            &[
                "-D",
                path_str(&primary),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        );
        cluster.configure(&primary, cluster.primary_port);
        cluster.pg_ctl_start(&primary, "primary.log");
        cluster.run(
            "psql",
            &[
                "-X",
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                &cluster.primary_port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                &format!("CREATE DATABASE {DATABASE}"),
            ],
        );
        let replica = cluster.path("replica");
        cluster.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &cluster.primary_port.to_string(),
                "-U",
                "postgres",
                "-D",
                path_str(&replica),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        );
        cluster.configure(&replica, cluster.replica_port);
        cluster.pg_ctl_start(&replica, "replica.log");
        cluster
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs a PostgreSQL program, as `postgres` when the tests run as root.
    fn run(&self, program: &str, args: &[&str]) -> String {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.args(args).current_dir(self.dir.path());
        output(&mut command)
    }

    /// Loopback only on `port`, its socket in the test's folder, no durability.
    fn configure(&self, data: &Path, port: u16) {
        use std::io::Write;
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .expect("postgresql.conf");
        writeln!(
            conf,
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nfull_page_writes = off\nmax_connections = 40\nwal_level = replica\n\
             hot_standby = on",
            self.dir.path().display()
        )
        .expect("write postgresql.conf");
    }

    fn pg_ctl_start(&self, data: &Path, log: &str) {
        let log = self.path(log);
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(data),
                "-l",
                path_str(&log),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{DATABASE}?sslmode=disable")
    }

    /// `options` with the server's database on the primary and its replica on the standby.
    pub fn serving(&self, options: crate::support::Options) -> crate::support::Options {
        options
            .with("CRS_DATABASE_URL", self.primary_url())
            .with("CRS_DATABASE_REPLICA_URL", self.replica_url())
    }

    pub fn primary_url(&self) -> String {
        Self::url(self.primary_port)
    }

    pub fn replica_url(&self) -> String {
        Self::url(self.replica_port)
    }

    async fn connect(url: &str) -> DatabaseConnection {
        Database::connect(url).await.expect("connect")
    }

    async fn text(db: &DatabaseConnection, sql: &str) -> String {
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect(sql)
            .expect("a row");
        row.try_get_by_index::<String>(0).expect("text")
    }

    /// Waits until the replica has replayed everything the primary has written so far.
    pub async fn wait_caught_up(&self) {
        let primary = Self::connect(&self.primary_url()).await;
        let replica = Self::connect(&self.replica_url()).await;
        let lsn = Self::text(&primary, "SELECT pg_current_wal_lsn()::text").await;
        let caught_up =
            format!("SELECT (pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '{lsn}') >= 0)::text");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Self::text(&replica, &caught_up).await != "true" {
            assert!(Instant::now() < deadline, "the replica did not catch up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the replica applying what it receives, until [`Self::resume_replay`].
    pub async fn pause_replay(&self) {
        let replica = Self::connect(&self.replica_url()).await;
        Self::text(&replica, "SELECT pg_wal_replay_pause()::text").await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Self::text(&replica, "SELECT pg_get_wal_replay_pause_state()").await != "paused" {
            assert!(Instant::now() < deadline, "replay did not pause");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn resume_replay(&self) {
        let replica = Self::connect(&self.replica_url()).await;
        Self::text(&replica, "SELECT pg_wal_replay_resume()::text").await;
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

impl Drop for StreamingReplica {
    fn drop(&mut self) {
        for data in ["replica", "primary"] {
            let data = self.path(data);
            let mut command = if self.as_postgres {
                let mut command = Command::new("runuser");
                command
                    .args(["-u", "postgres", "--"])
                    .arg(self.bin.join("pg_ctl"));
                command
            } else {
                Command::new(self.bin.join("pg_ctl"))
            };
            let _ = command
                .args(["-D", path_str(&data), "-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}
