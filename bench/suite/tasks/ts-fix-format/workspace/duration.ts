// Track durations for the playlist view.

export interface Track {
  title: string;
  seconds: number;
}

export function formatDuration(totalSeconds: number): string {
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}:${seconds}`;
}

export function parseDuration(text: string): number {
  const [minutes, seconds] = text.split(":").map(Number);
  if (Number.isNaN(minutes) || Number.isNaN(seconds) || seconds === undefined) {
    throw new Error(`invalid duration: ${text}`);
  }
  return minutes * 60 + seconds;
}

export function playlistLength(tracks: Track[]): string {
  return formatDuration(tracks.reduce((total, track) => total + track.seconds, 0));
}
