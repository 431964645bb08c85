export function NotYet({ screen }: { screen: string }) {
  return (
    <p class="empty">
      The {screen} screen is not built yet; its API is at <code>/api/v1</code> (see <code>/api/v1/openapi.yaml</code>).
    </p>
  );
}
