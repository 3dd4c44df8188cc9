//! The asynchronous payment story end to end against the embedded reference station acting as
//! an EC on the asynchronous integration: the EC creates its position in GPD published at once,
//! Checkout pays it through the Nodo (GPD-Payments answering for the EC), and the receipt is
//! pushed to the EC's station (GPD-006a) or pulled from GPD's receipts API (GPD-006b), the
//! position ending PAID. Both run in well under a second of real time: GPD's states and the
//! receipt retries run on the virtual clock.

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_payment_story_push_and_pull_runs_in_under_a_second() {
    let (code, log, secs, report) = support::run_embedded(&["GPD-006a", "GPD-006b"]).await;
    assert_eq!(code, 0, "{log}");
    assert!(secs < 1.0, "took {secs:.3} s of real time");
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 2);
    for case in cases {
        assert_eq!(case["verdict"], "pass", "{case:#}");
    }
    // The story is really there: GPD-Payments answered, the receipt was pushed and accepted,
    // the EC pulled its receipt, and the position is PAID.
    let text = serde_json::to_string(&report).expect("serialise");
    assert!(text.contains("GPD-Payments"), "{text}");
    assert!(
        text.contains("every paSendRTV2 was accepted by the EC's station"),
        "{text}"
    );
    let pushes: Vec<&serde_json::Value> = cases[0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|st| st["exchanges"].as_array())
        .flatten()
        .filter(|e| e["primitive"] == "paSendRTV2")
        .collect();
    assert_eq!(pushes.len(), 1, "one push, accepted at once: {pushes:?}");
    assert_eq!(pushes[0]["attempt"], 1);
    assert_eq!(pushes[0]["outcome"], "accepted");
    assert!(text.contains("getReceiptByIUV"), "{text}");
    assert!(
        text.contains("position COLLAUDO-GPD-006a-1 is PAID"),
        "{text}"
    );
    assert!(
        text.contains("position COLLAUDO-GPD-006b-1 is PAID"),
        "{text}"
    );
}
