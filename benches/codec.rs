//! Codec throughput: reply decoding (single-line, multi-line, and the same
//! stream fed in small chunks, as a slow server would deliver it), command
//! parsing, and the PORT / 227 / EPRT / 229 address parsers.
//!
//! `cargo bench --bench codec` prints MB/s for the byte-stream groups and
//! ops/s (elements) for the parsers; `-- --quick` for a short run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ftpspec_harness::codec::{
    Command, ExtAddr, ExtPassiveReply, HostPort, Leniency, PassiveReply, ReplyDecoder, ReplyOptions,
};
use std::hint::black_box;

/// A stream of typical single-line replies, as a session sees them.
fn single_line_stream() -> Vec<u8> {
    let replies: &[&[u8]] = &[
        b"220 ftpspec embedded libunftp server\r\n",
        b"331 Password Required\r\n",
        b"230 User logged in, proceed\r\n",
        b"200 Always in binary mode\r\n",
        b"227 Entering Passive Mode (127,0,0,1,252,250)\r\n",
        b"229 Entering Extended Passive Mode (|||51347|)\r\n",
        b"150 Sending data\r\n",
        b"226 Successfully sent\r\n",
        b"250 Okay.\r\n",
        b"221 Bye!\r\n",
    ];
    replies
        .iter()
        .cycle()
        .take(1000)
        .copied()
        .flatten()
        .copied()
        .collect()
}

/// A stream of multi-line replies (FEAT-like, 12 lines each).
fn multi_line_stream() -> Vec<u8> {
    let mut one = b"211-Extensions supported:\r\n".to_vec();
    for f in [
        "EPRT",
        "EPSV",
        "MDTM",
        "MLST type*;size*;modify*;",
        "REST STREAM",
        "SIZE",
        "UTF8",
        "TVFS",
        "AUTH TLS",
        "PBSZ",
    ] {
        one.extend_from_slice(format!(" {f}\r\n").as_bytes());
    }
    one.extend_from_slice(b"211 End\r\n");
    one.repeat(200)
}

/// Push `stream` in `chunk`-byte pieces and pull every reply.
fn decode(stream: &[u8], chunk: usize) -> usize {
    let mut d = ReplyDecoder::new(ReplyOptions::STRICT);
    let mut n = 0;
    for piece in stream.chunks(chunk) {
        d.push(piece);
        while let Some(r) = d.next_reply().expect("the stream is well formed") {
            black_box(&r);
            n += 1;
        }
    }
    n
}

fn replies(c: &mut Criterion) {
    let single = single_line_stream();
    let multi = multi_line_stream();
    let mut g = c.benchmark_group("reply_decoder");
    for (name, stream) in [("single_line", &single), ("multi_line", &multi)] {
        g.throughput(Throughput::Bytes(stream.len() as u64));
        g.bench_function(format!("{name}/whole"), |b| {
            b.iter(|| decode(black_box(stream), stream.len()))
        });
        // 7-byte pieces: every reply line arrives split across several reads.
        g.bench_function(format!("{name}/chunks_7"), |b| {
            b.iter(|| decode(black_box(stream), 7))
        });
    }
    g.finish();
}

/// Parse every item once per iteration; throughput in items (ops/s).
fn per_item<T>(
    c: &mut Criterion,
    group: &str,
    name: &str,
    items: &[&[u8]],
    parse: impl Fn(&[u8]) -> T,
) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(items.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            for i in items {
                black_box(parse(black_box(i)));
            }
        })
    });
    g.finish();
}

fn commands(c: &mut Criterion) {
    let lines: &[&[u8]] = &[
        b"USER ftpspec\r\n",
        b"PASS ftpspec\r\n",
        b"TYPE I\r\n",
        b"EPSV\r\n",
        b"PORT 127,0,0,1,200,39\r\n",
        b"RETR some/directory/big.bin\r\n",
        b"STOR ftpspec-1f4ef0deb-346/twice.bin\r\n",
        b"MLSD\r\n",
        b"NOOP\r\n",
        b"QUIT\r\n",
    ];
    per_item(c, "command", "parse", lines, |l| Command::parse(l).is_ok());
}

fn addresses(c: &mut Criterion) {
    let lenient = Leniency::PERMISSIVE;
    let port: &[&[u8]] = &[
        b"127,0,0,1,200,39",
        b"192,168,100,200,4,1",
        b"10,0,0,1,0,21",
    ];
    per_item(c, "hostport", "port", port, |t| HostPort::parse(t).is_ok());
    let pasv: &[&[u8]] = &[
        b"Entering Passive Mode (127,0,0,1,252,250)",
        b"Entering Passive Mode (192,168,100,200,4,1).",
        b"=127,0,0,1,200,39",
    ];
    per_item(c, "hostport", "227", pasv, |t| {
        PassiveReply::parse_with(t, lenient).is_ok()
    });
    let eprt: &[&[u8]] = &[
        b"|1|132.235.1.2|6275|",
        b"|2|1080::8:800:200C:417A|5282|",
        b"!1!10.0.0.1!21!",
    ];
    per_item(c, "extaddr", "eprt", eprt, |t| ExtAddr::parse(t).is_ok());
    let epsv: &[&[u8]] = &[
        b"Entering Extended Passive Mode (|||6446|)",
        b"Entering Extended Passive Mode (!!!51347!)",
        b"Extended Passive Mode OK (|||65535|)",
    ];
    per_item(c, "extaddr", "229", epsv, |t| {
        ExtPassiveReply::parse(t).is_ok()
    });
}

criterion_group!(benches, replies, commands, addresses);
criterion_main!(benches);
