/**
 * Hands a file the page has read (an export fetched with the access token) to the browser's
 * downloads under a file name: a link to an object URL, clicked, then let go so the memory
 * is freed. The API's own URL is never the link, since it needs the Authorization header.
 */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Some browsers read the blob a little after the click: let it go a while later, not at once.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
