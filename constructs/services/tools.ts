/**
 * Tool images several services' jobs share (setup scripts, backup steps). Pure data.
 */

/** The curl project's own image (Alpine, busybox sh/awk): runs setup scripts and the backups' upload. */
export const CURL_IMAGE = 'curlimages/curl:8.22.0';
