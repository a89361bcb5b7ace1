//! v2 media upload against the simulator: chunks, processing, and what X refuses.

use crate::v2_support::*;

fn quick(chunk_size: usize) -> UploadOptions {
    UploadOptions {
        chunk_size,
        max_poll_interval: Duration::from_millis(5),
        ..UploadOptions::default()
    }
}

#[tokio::test]
async fn an_image_goes_up_in_json_chunks_and_arrives_whole() {
    let fake = TwitterApi::start().await;
    let bytes: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
    let uploaded = client(&fake)
        .upload_media_v2_with(
            &owner_tokens(&fake),
            &bytes,
            "image/png",
            MediaCategory::DmImage,
            &quick(1000),
        )
        .await
        .unwrap();
    let (media_type, stored) = fake.media_bytes(uploaded.media_id.as_str()).unwrap();
    assert_eq!((media_type.as_str(), stored), ("image/png", bytes));
    assert_eq!(uploaded.expires_after_secs, Some(24 * 60 * 60));
    let appends = fake.requests_to("/append");
    assert_eq!(appends.len(), 3);
    let segments: Vec<_> = appends
        .iter()
        .map(|r| r.json().unwrap()["segment_index"].clone())
        .collect();
    assert_eq!(segments, [0, 1, 2]);
    let upload = fake.upload(uploaded.media_id.as_str()).unwrap();
    assert_eq!(upload.owner, fake.owner().user_id);
    assert_eq!(upload.category, "dm_image");
    assert_v2_authenticated(&fake, 5);
}

#[tokio::test]
async fn the_default_chunk_is_one_mebibyte() {
    let fake = TwitterApi::start().await;
    let bytes = vec![3u8; V2_CHUNK_BYTES + 10];
    let id = upload_v2(&client(&fake), &owner_tokens(&fake), &bytes).await;
    assert_eq!(fake.requests_to("/append").len(), 2);
    assert_eq!(fake.media_bytes(id.as_str()).unwrap().1.len(), bytes.len());
}

#[tokio::test]
async fn a_video_is_polled_until_processed_or_failed() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let tokens = owner_tokens(&fake);
    fake.set_video_processing(3, false);
    let video = vec![5u8; 4000];
    let done = client
        .upload_media_v2_with(
            &tokens,
            &video,
            "video/mp4",
            MediaCategory::DmVideo,
            &quick(4000),
        )
        .await
        .unwrap();
    assert_eq!(fake.upload(done.media_id.as_str()).unwrap().status_polls, 3);

    fake.set_video_processing(1, true);
    let err = client
        .upload_media_v2_with(
            &tokens,
            &video,
            "video/mp4",
            MediaCategory::DmVideo,
            &quick(4000),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::MediaProcessing { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("Unsupported video format"),
        "{err}"
    );
}

#[tokio::test]
async fn processing_that_never_ends_is_given_up_within_the_bound() {
    let fake = TwitterApi::start().await;
    fake.set_video_processing(1_000, false);
    let options = UploadOptions {
        max_processing_wait: Duration::from_millis(20),
        ..quick(4000)
    };
    let err = client(&fake)
        .upload_media_v2_with(
            &owner_tokens(&fake),
            &[1u8; 10],
            "video/mp4",
            MediaCategory::DmVideo,
            &options,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("still processing"), "{err}");
    assert!(fake.requests_to("/2/media/upload").len() < 20);
}

#[tokio::test]
async fn bad_uploads_are_refused_before_sending_or_by_x_naming_the_parameter() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let tokens = owner_tokens(&fake);
    for (bytes, chunk) in [
        (vec![], 10),
        (vec![1u8; 10], 0),
        (vec![1u8; 10], V2_CHUNK_BYTES + 1),
    ] {
        let err = client
            .upload_media_v2_with(
                &tokens,
                &bytes,
                "image/png",
                MediaCategory::DmImage,
                &quick(chunk),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, TwitterError::InvalidRequest { .. }),
            "{err:?}"
        );
    }
    assert!(fake.requests_to("/2/").is_empty());

    let err = client
        .upload_media_v2(
            &tokens,
            &[1u8; 10],
            "application/zip",
            MediaCategory::DmImage,
        )
        .await
        .unwrap_err();
    let TwitterError::Permanent {
        status: 400,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(message.contains("`media_type`"), "{message}");
}
