//! `srt-transmit`: a drop-in for the common use of libsrt's
//! `srt-live-transmit`, on srt-tokio.
//!
//! ```text
//! cargo build --release -p srt-tokio --example srt-transmit
//! target/release/examples/srt-transmit udp://:5000 'srt://127.0.0.1:9000?latency=120&passphrase=0123456789'
//! target/release/examples/srt-transmit -s 1000 -pf json srt://:9000?passphrase=0123456789 udp://127.0.0.1:6000
//! ```
//!
//! Run with `-h` for the options. Exits with 2 on a bad command line or
//! URI, 1 when a connection fails or is rejected (the reason and its code
//! are printed), 0 at the end of the input.

use std::process::ExitCode;

#[path = "srt-transmit/transmit.rs"]
mod transmit;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match transmit::parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{}", transmit::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("srt-transmit: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    match transmit::run(&args, &mut std::io::stderr()).await {
        Ok(summary) => {
            if args.verbose {
                eprintln!(
                    "srt-transmit: relayed {} messages, {} bytes",
                    summary.messages, summary.bytes
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("srt-transmit: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
