//! Chunked media upload, video processing and the size limits.

use crate::support::*;

#[tokio::test]
async fn media_is_uploaded_in_chunks_with_progress_and_reassembled_exactly() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let bytes: Vec<u8> = (0..3500u32).map(|i| (i % 251) as u8).collect();
    let mut progress = Vec::new();
    let uploaded = client
        .upload_media(
            &tokens(fake.owner()),
            &MediaUpload {
                bytes: &bytes,
                media_type: "image/jpeg",
                category: MediaCategory::DmImage,
                shared: true,
            },
            &UploadOptions {
                chunk_size: 1000,
                ..UploadOptions::default()
            },
            |sent, total| progress.push((sent, total)),
        )
        .await
        .unwrap();
    assert_eq!(
        progress,
        vec![(1000, 3500), (2000, 3500), (3000, 3500), (3500, 3500)]
    );
    let upload = fake.upload(uploaded.media_id.as_str()).unwrap();
    assert_eq!(upload.data.as_deref(), Some(bytes.as_slice()));
    assert_eq!(upload.category, "dm_image");
    assert!(upload.shared);
    assert_eq!(upload.status_polls, 0, "images need no processing");
    let appends = fake.requests_to("media/upload.json");
    let appends: Vec<_> = appends
        .iter()
        .filter(|r| r.query_value("command") == Some("APPEND"))
        .collect();
    assert_eq!(appends.len(), 4);
    assert_eq!(appends[3].query_value("segment_index"), Some("3"));
    assert!(
        appends[0]
            .content_type
            .as_deref()
            .unwrap()
            .starts_with("multipart/form-data")
    );
    assert_eq!(uploaded.expires_after_secs, Some(86400));
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn a_video_upload_polls_status_until_processing_succeeds() {
    let fake = TwitterApi::start().await;
    fake.set_video_processing(2, false);
    let client = client(&fake);
    let bytes = vec![1u8; 4096];
    let uploaded = upload_as_owner(&fake, &client, &dm_video(&bytes), &quick_polls(4096))
        .await
        .unwrap();
    let upload = fake.upload(uploaded.media_id.as_str()).unwrap();
    assert_eq!(upload.status_polls, 2);
    assert_eq!(upload.category, "dm_video");
}

#[tokio::test]
async fn a_video_whose_processing_fails_is_a_media_processing_error() {
    let fake = TwitterApi::start().await;
    fake.set_video_processing(1, true);
    let client = client(&fake);
    let bytes = vec![1u8; 100];
    let result = upload_as_owner(&fake, &client, &dm_video(&bytes), &quick_polls(4096)).await;
    let Err(TwitterError::MediaProcessing { reason, .. }) = result else {
        panic!("{result:?}");
    };
    assert!(reason.contains("Unsupported video format"), "{reason}");
}

#[tokio::test]
async fn chunks_over_five_megabytes_and_oversized_media_are_refused_before_any_request() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let bytes = vec![0u8; 10];
    let too_big_chunk = UploadOptions {
        chunk_size: MAX_CHUNK_BYTES + 1,
        ..UploadOptions::default()
    };
    let result = upload_as_owner(&fake, &client, &dm_image(&bytes), &too_big_chunk).await;
    assert!(
        matches!(result, Err(TwitterError::InvalidRequest { .. })),
        "{result:?}"
    );
    let huge = vec![0u8; 5 * 1024 * 1024 + 1];
    let result = upload_as_owner(&fake, &client, &dm_image(&huge), &UploadOptions::default()).await;
    assert!(
        matches!(result, Err(TwitterError::InvalidRequest { .. })),
        "{result:?}"
    );
    assert!(fake.requests().is_empty());
}
