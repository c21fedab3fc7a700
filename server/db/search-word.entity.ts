import { EntitySchema } from '@mikro-orm/core';

/**
 * The typo dictionary: each distinct folded customer word of 4+ characters, once. A `q` word's
 * one-edit strings are looked up here to find the words within one edit of it (search/). The
 * characters the words use are in search_alphabet (made by a migration, no entity).
 */
export class SearchWordEntity {
  word!: string;
}

export const SearchWordSchema = new EntitySchema<SearchWordEntity>({
  class: SearchWordEntity,
  tableName: 'search_words',
  properties: {
    word: { type: 'text', primary: true },
  },
});
