// The ImageNet-C / CIFAR-10-C corruption families (Hendrycks & Dietterich 2019, plus the 4 extra corruptions in
// their families), used to group the accuracy charts. A name the app does not know goes to "other".

export const FAMILIES: readonly { readonly name: string; readonly members: readonly string[] }[] = [
  { name: 'Noise', members: ['gaussian_noise', 'shot_noise', 'impulse_noise', 'speckle_noise'] },
  { name: 'Blur', members: ['defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur', 'gaussian_blur'] },
  { name: 'Weather', members: ['snow', 'frost', 'fog', 'brightness', 'spatter'] },
  { name: 'Digital', members: ['contrast', 'elastic_transform', 'pixelate', 'jpeg_compression', 'saturate'] },
];

export const OTHER_FAMILY = 'Other';

export function familyOf(corruption: string): string {
  for (const family of FAMILIES) if (family.members.includes(corruption)) return family.name;
  return OTHER_FAMILY;
}

/** The corruptions grouped by family, in family order then in the order given. Empty families are left out. */
export function groupByFamily(corruptions: readonly string[]): { family: string; corruptions: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const name of [...FAMILIES.map((f) => f.name), OTHER_FAMILY]) groups.set(name, []);
  for (const corruption of corruptions) groups.get(familyOf(corruption))!.push(corruption);
  return [...groups].filter(([, members]) => members.length > 0).map(([family, members]) => ({ family, corruptions: members }));
}
